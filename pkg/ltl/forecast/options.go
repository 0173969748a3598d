package forecast

// Defaults.
const (
	DefaultSmoothing = 1.0
	DefaultMaxStates = 1 << 16
	MaxStepBuckets   = 32
	DefaultTolerance = 1e-12
)

type config struct {
	alpha     float64
	buckets   int
	maxStates int
	tol       float64
}

// Option configures a Model.
type Option func(*config)

// WithSmoothing sets the Dirichlet concentration alpha ≥ 0 added to every state's successor
// counts (default 1). The prior mass goes to "the response ends now", split between violated
// and not violated by the base rate, so a rarely seen state's estimate is shrunk towards the
// base rate, and an unseen state's estimate is the base rate.
func WithSmoothing(alpha float64) Option { return func(c *config) { c.alpha = alpha } }

// WithStepBuckets conditions the chain on the step count: a node is a (monitor state, step
// bucket) pair with buckets 0, 1, 2–3, 4–7, … (powers of two), the last one open-ended. n is
// the number of buckets, 1..MaxStepBuckets; 0 or 1 means no conditioning (the default). Use
// it when the same monitor state means different things early and late in a response.
func WithStepBuckets(n int) Option { return func(c *config) { c.buckets = n } }

// WithMaxStates bounds the number of nodes (default DefaultMaxStates) and so the model's
// memory; a trace that would exceed it is refused with an error matching ErrTooManyStates.
func WithMaxStates(n int) Option { return func(c *config) { c.maxStates = n } }

// WithTolerance sets the convergence tolerance of the solver (default 1e-12): the largest
// change of any probability in the last Gauss–Seidel sweep.
func WithTolerance(tol float64) Option { return func(c *config) { c.tol = tol } }
