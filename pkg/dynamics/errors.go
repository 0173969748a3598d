package dynamics

import (
	"errors"
	"fmt"
)

// Sentinel errors; the errors returned by this package wrap one of them.
var (
	// ErrTooShort reports a series too short for the requested analysis.
	ErrTooShort = errors.New("dynamics: series too short")
	// ErrConstant reports a series without variation.
	ErrConstant = errors.New("dynamics: constant series")
	// ErrNonFinite reports a NaN or infinite value in the series.
	ErrNonFinite = errors.New("dynamics: non-finite value")
	// ErrParam reports an invalid parameter (dimension, delay, window...).
	ErrParam = errors.New("dynamics: invalid parameter")
	// ErrNoFit reports that no usable region was found for a fit (no pairs at non-zero
	// distance, no scaling region with enough points).
	ErrNoFit = errors.New("dynamics: no fit region")
)

// SeriesError locates a problem in the input series.
type SeriesError struct {
	Index int     // position of the offending value, -1 when the whole series is at fault
	Value float64 // the value at Index
	N     int     // length of the series
	Need  int     // minimum length, for ErrTooShort
	Err   error   // one of the sentinels
}

func (e *SeriesError) Error() string {
	switch {
	case errors.Is(e.Err, ErrTooShort):
		return fmt.Sprintf("%v: %d values, need at least %d", e.Err, e.N, e.Need)
	case e.Index >= 0:
		return fmt.Sprintf("%v: value %v at index %d", e.Err, e.Value, e.Index)
	default:
		return fmt.Sprintf("%v (%d values)", e.Err, e.N)
	}
}

func (e *SeriesError) Unwrap() error { return e.Err }

// ParamError names an invalid parameter.
type ParamError struct {
	Name  string
	Value any
	Why   string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("%v: %s = %v: %s", ErrParam, e.Name, e.Value, e.Why)
}

func (e *ParamError) Unwrap() error { return ErrParam }

// checkSeries validates that x has at least need finite values and is not constant.
func checkSeries(x []float64, need int) error {
	if len(x) < need {
		return &SeriesError{Index: -1, N: len(x), Need: need, Err: ErrTooShort}
	}
	for i, v := range x {
		if v-v != 0 { // NaN or ±Inf
			return &SeriesError{Index: i, Value: v, N: len(x), Err: ErrNonFinite}
		}
	}
	for _, v := range x[1:] {
		if v != x[0] {
			return nil
		}
	}
	return &SeriesError{Index: -1, N: len(x), Err: ErrConstant}
}
