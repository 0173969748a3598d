package bus

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/midstream/midstream/pkg/wire"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Roles with a least-privilege permission set. Analysers other than the three built-in ones
// get theirs from AnalyserPermissions.
const (
	RoleAdmin     = "admin"
	RoleIngest    = "ingest"
	RoleScheduler = "scheduler"
	RoleMetalearn = "metalearn"
	RoleCompare   = "compare"
	RoleAttractor = "attractor"
	RoleVerifier  = "verifier"
)

// BucketAudit is metalearn's audit-trail bucket; metalearn creates it itself.
const BucketAudit = "ms_audit"

// ErrUnknownRole is returned for a role with no permission set.
var ErrUnknownRole = errors.New("bus: unknown role")

// ErrBadUser is returned for a user entry that cannot be rendered or configured.
var ErrBadUser = errors.New("bus: bad user")

// Roles lists every role Permissions knows, admin first.
func Roles() []string {
	return []string{RoleAdmin, RoleIngest, RoleScheduler, RoleMetalearn, RoleCompare, RoleAttractor, RoleVerifier}
}

// perms accumulates allow lists; everything not allowed is refused by the server.
type perms struct {
	pub, sub  []string
	responses bool
}

func (p *perms) publish(s ...string)   { p.pub = append(p.pub, s...) }
func (p *perms) subscribe(s ...string) { p.sub = append(p.sub, s...) }

// base is what every service needs: account info, replies on inboxes.
func (p *perms) base() {
	p.publish("$JS.API.INFO")
	p.subscribe("_INBOX.>")
}

// durable allows creating, reading and pulling from one named durable consumer on stream, and
// acknowledging its messages. The create subject carries the filter after the name, hence ">".
func (p *perms) durable(stream, name string) {
	p.publish(
		"$JS.API.STREAM.INFO."+stream,
		"$JS.API.CONSUMER.CREATE."+stream+"."+name,
		"$JS.API.CONSUMER.CREATE."+stream+"."+name+".>",
		"$JS.API.CONSUMER.DURABLE.CREATE."+stream+"."+name,
		"$JS.API.CONSUMER.INFO."+stream+"."+name,
		"$JS.API.CONSUMER.MSG.NEXT."+stream+"."+name,
		"$JS.ACK."+stream+"."+name+".>",
	)
}

// partitioned allows the service's durable consumer on every partition of stream.
func (p *perms) partitioned(stream, service string, partitions int) {
	for i := range partitions {
		p.durable(stream, ConsumerName(service, i))
	}
}

// kvRead allows looking up the bucket, reading the keys under prefix (direct get of the last
// value) and watching them through an ordered consumer whose filter is $KV.<bucket>.<prefix>.
// An empty prefix means every key.
func (p *perms) kvRead(bucket, prefix string) {
	stream := "KV_" + bucket
	keys := "$KV." + bucket + ".>"
	if prefix != "" {
		keys = "$KV." + bucket + "." + prefix + ".>"
	}
	p.publish(
		"$JS.API.STREAM.INFO."+stream,
		"$JS.API.DIRECT.GET."+stream+"."+keys,
		// Ordered consumers are named by the client and filtered on the keys.
		"$JS.API.CONSUMER.CREATE."+stream+".*."+keys,
		"$JS.API.CONSUMER.DELETE."+stream+".*",
		// Flow control and heartbeats of the push-based watch are answered on $JS.FC.
		"$JS.FC."+stream+".>",
	)
}

// kvWrite allows putting and deleting the keys under prefix (empty: every key).
func (p *perms) kvWrite(bucket, prefix string) {
	if prefix == "" {
		p.publish("$KV." + bucket + ".>")
		return
	}
	p.publish("$KV." + bucket + "." + prefix + ".>")
}

// micro allows a NATS micro service: discovery on $SRV, its endpoint group, and replies to
// whoever asked (allow_responses), without a general publish right on reply subjects.
func (p *perms) micro(group string) {
	p.subscribe("$SRV.>", group+".>")
	p.responses = true
}

func (p *perms) server() *server.Permissions {
	sp := &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: dedup(p.pub)},
		Subscribe: &server.SubjectPermission{Allow: dedup(p.sub)},
	}
	if p.responses {
		sp.Response = &server.ResponsePermission{MaxMsgs: 1, Expires: ResponseExpiry}
	}
	return sp
}

// ResponseExpiry bounds how long a micro service may answer a request (allow_responses).
const ResponseExpiry = 5 * time.Second

func dedup(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func withPartitions(partitions int) (int, error) {
	if partitions == 0 {
		partitions = DefaultPartitions
	}
	if partitions < 1 || partitions > 1024 {
		return 0, fmt.Errorf("bus: partitions %d outside 1..1024", partitions)
	}
	return partitions, nil
}

// Permissions returns the least-privilege permissions of role for a topology of partitions
// partitions (0: DefaultPartitions). The admin role may do anything: it provisions streams and
// buckets and seeds configuration. Every other role assumes provisioning is done, so services
// run under it must be started with --provision=false.
func Permissions(role string, partitions int) (*server.Permissions, error) {
	partitions, err := withPartitions(partitions)
	if err != nil {
		return nil, err
	}
	var p perms
	switch role {
	case RoleAdmin:
		p.publish(">")
		p.subscribe(">")
		return p.server(), nil
	case RoleIngest:
		p.base()
		p.publish(wire.InWildcard, wire.DeadLetterSubject(RoleIngest), "$JS.API.STREAM.INFO."+StreamChunks)
		p.subscribe(wire.ActionWildcard)
	case RoleScheduler:
		p.base()
		p.partitioned(StreamChunks, RoleScheduler, partitions)
		p.publish(wire.WorkWildcard, "ms.verdict."+RoleScheduler+".*", wire.DeadLetterSubject(RoleScheduler))
		// Its set-rate endpoint stores scheduler keys so that every replica applies them.
		p.kvRead(BucketConfig, RoleScheduler)
		p.kvWrite(BucketConfig, RoleScheduler)
		p.micro(RoleScheduler)
	case RoleMetalearn:
		p.base()
		p.durable(StreamChunks, RoleMetalearn+"-chunks")
		p.durable(StreamVerdicts, RoleMetalearn+"-verdicts")
		p.durable(StreamFeedback, RoleMetalearn+"-feedback")
		p.publish(wire.DeadLetterSubject(RoleMetalearn))
		// metalearn tunes every analyser, so it reads and writes all of ms_config.
		p.kvRead(BucketConfig, "")
		p.kvWrite(BucketConfig, "")
		// Its audit bucket is its own: it creates it at start.
		p.publish("$JS.API.STREAM.CREATE.KV_"+BucketAudit, "$JS.API.STREAM.UPDATE.KV_"+BucketAudit)
		p.kvRead(BucketAudit, "")
		p.kvWrite(BucketAudit, "")
		p.micro(RoleMetalearn)
	case RoleCompare, RoleAttractor, RoleVerifier:
		return AnalyserPermissions(role, partitions)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownRole, role)
	}
	return p.server(), nil
}

// AnalyserPermissions returns the permissions of an analyser service called name: its own pull
// consumers on WORK, its verdicts, actions, dead letters, and read access to its own keys in
// ms_config ("<name>.>").
func AnalyserPermissions(name string, partitions int) (*server.Permissions, error) {
	if name == "" || strings.ContainsAny(name, ".*> \t\r\n") || name == RoleAdmin || name == RoleIngest ||
		name == RoleScheduler || name == RoleMetalearn {
		return nil, fmt.Errorf("%w: analyser name %q", ErrBadUser, name)
	}
	partitions, err := withPartitions(partitions)
	if err != nil {
		return nil, err
	}
	var p perms
	p.base()
	p.partitioned(StreamWork, name, partitions)
	p.publish("ms.verdict."+name+".*", wire.ActionWildcard, wire.DeadLetterSubject(name))
	p.kvRead(BucketConfig, name)
	return p.server(), nil
}

// User is one NATS user: a role and either a password (plain or a bcrypt hash, which
// nats-server accepts as is) or an nkey public key. Credentials come from files or the
// environment at deployment time, never from code.
type User struct {
	// Name is the user name for password authentication; default Role.
	Name string
	// Role selects the permission set; an analyser not built in uses its own name as the role.
	Role string
	// Password, or a bcrypt hash of it ("$2a$..."). Exactly one of Password and NKey is set.
	Password string
	// NKey is the user's public nkey ("U..."), for challenge-response authentication.
	NKey string
}

func (u User) permissions(partitions int) (*server.Permissions, error) {
	if u.Password == "" && u.NKey == "" || u.Password != "" && u.NKey != "" {
		return nil, fmt.Errorf("%w: role %q needs exactly one of password and nkey", ErrBadUser, u.Role)
	}
	if u.NKey != "" && !nkeys.IsValidPublicUserKey(u.NKey) {
		return nil, fmt.Errorf("%w: role %q: %q is not a public user nkey", ErrBadUser, u.Role, u.NKey)
	}
	p, err := Permissions(u.Role, partitions)
	if errors.Is(err, ErrUnknownRole) {
		p, err = AnalyserPermissions(u.Role, partitions)
	}
	return p, err
}

func (u User) name() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Role
}

// ConfigureUsers returns an EmbeddedConfig.Configure function that installs users with their
// role permissions on the embedded server. Nothing else is allowed to connect.
func ConfigureUsers(users []User, partitions int) (func(*server.Options), error) {
	var pw []*server.User
	var nk []*server.NkeyUser
	seen := map[string]bool{}
	for _, u := range users {
		p, err := u.permissions(partitions)
		if err != nil {
			return nil, err
		}
		if u.NKey != "" {
			nk = append(nk, &server.NkeyUser{Nkey: u.NKey, Permissions: p})
			continue
		}
		if seen[u.name()] {
			return nil, fmt.Errorf("%w: user %q twice", ErrBadUser, u.name())
		}
		seen[u.name()] = true
		pw = append(pw, &server.User{Username: u.name(), Password: u.Password, Permissions: p})
	}
	return func(o *server.Options) {
		o.Users = pw
		o.Nkeys = nk
	}, nil
}

// UsersConfig renders a nats-server configuration block (authorization { users = [...] }) with
// users and their role permissions, for a real server or cluster; include it from the server's
// configuration file. Passwords are written as given: pass bcrypt hashes (nats-server passwd).
func UsersConfig(users []User, partitions int) (string, error) {
	var b strings.Builder
	b.WriteString("# Generated by midstream bus.UsersConfig; one user per service, least privilege.\n")
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range users {
		p, err := u.permissions(partitions)
		if err != nil {
			return "", err
		}
		b.WriteString("    {\n")
		if u.NKey != "" {
			fmt.Fprintf(&b, "      nkey: %s\n", quote(u.NKey))
		} else {
			fmt.Fprintf(&b, "      user: %s\n      password: %s\n", quote(u.name()), quote(u.Password))
		}
		fmt.Fprintf(&b, "      # role %s\n      permissions: {\n", u.Role)
		writeSubjects(&b, "publish", p.Publish.Allow)
		writeSubjects(&b, "subscribe", p.Subscribe.Allow)
		if p.Response != nil {
			fmt.Fprintf(&b, "        allow_responses: { max: %d, expires: %s }\n", p.Response.MaxMsgs, quote(p.Response.Expires.String()))
		}
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String(), nil
}

func writeSubjects(b *strings.Builder, kind string, subjects []string) {
	fmt.Fprintf(b, "        %s: { allow: [", kind)
	for i, s := range subjects {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(s))
	}
	b.WriteString("] }\n")
}

// quote renders s as a double-quoted config string; inside quotes "$" is not a variable.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
