// Package bench holds the arithmetic of `make bench`: order statistics of
// repeated measurements, the request rate a poll schedule implies, and the
// targets the figures are judged against.
package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Number is what the statistics work on: durations, byte and request counts.
type Number interface {
	~int | ~int64 | ~float64
}

// Median returns the middle value of xs, the mean of the two middle values
// when there is an even number of them, or 0 when xs is empty. xs is not
// modified.
func Median[T Number](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return s[mid-1] + (s[mid]-s[mid-1])/2
}

// Percentile returns the p-th percentile of xs by the nearest-rank method:
// the smallest value with at least p percent of xs at or below it, so it is
// always one of the measured values (with 10 values, the 95th percentile is
// the largest). p is clamped to (0, 100]; an empty xs gives 0. xs is not
// modified.
func Percentile[T Number](xs []T, p float64) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// Polls returns how many times a client polls an operation that finishes
// wait after the client starts following it, when the client polls at once
// and then pauses interval(elapsed) after each poll that still sees it
// running: every poll up to and including the first at or after wait. The
// time a request takes is not counted, which overstates the polls slightly.
// interval must return a positive duration.
func Polls(wait time.Duration, interval func(elapsed time.Duration) time.Duration) int {
	n := 1
	for t := time.Duration(0); t < wait; n++ {
		d := interval(t)
		if d <= 0 {
			panic(fmt.Sprintf("bench: poll interval %v at %v is not positive", d, t))
		}
		t += d
	}
	return n
}

// FollowPolls is Polls for a client that waits interval(0) before its first
// poll, as one following an operation it has just started does: every poll
// up to and including the first at or after wait. Each interval counts from
// when the previous poll was sent. interval must return a positive duration.
func FollowPolls(wait time.Duration, interval func(elapsed time.Duration) time.Duration) int {
	n := 1
	for t := interval(0); t < wait; n++ {
		d := interval(t)
		if d <= 0 {
			panic(fmt.Sprintf("bench: poll interval %v at %v is not positive", d, t))
		}
		t += d
	}
	return n
}

// WorstLag returns, for operations that end at any time up to limit, the
// largest ratio of the time from the end to the poll that sees it over
// bound(end), for a client that polls as FollowPolls says. A ratio at most
// 1 means every such operation is seen within its bound.
func WorstLag(limit time.Duration, interval, bound func(time.Duration) time.Duration) float64 {
	worst := 0.0
	prev := time.Duration(0)
	for t := interval(0); prev < limit; t += interval(t) {
		// An operation that ends just after prev is seen at t.
		worst = max(worst, float64(t-prev)/float64(bound(prev)))
		prev = t
	}
	return worst
}
