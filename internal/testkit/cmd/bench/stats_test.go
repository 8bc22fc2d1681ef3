package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"empty", nil, 0},
		{"one", []time.Duration{7}, 7},
		{"odd count, unsorted", []time.Duration{30, 10, 20}, 20},
		{"even count takes the mean of the middle two", []time.Duration{40, 10, 30, 20}, 25},
		{"an outlier does not move it", []time.Duration{10, 11, 12, 13, 1000}, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			assert.Equal(t, tt.want, Median(in))
			assert.Equal(t, tt.in, in, "input must not be reordered")
		})
	}
}

func TestPercentile(t *testing.T) {
	ten := []int64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	tests := []struct {
		name string
		in   []int64
		p    float64
		want int64
	}{
		{"empty", nil, 95, 0},
		{"p95 of ten is the largest", ten, 95, 10},
		{"p90 of ten is the ninth", ten, 90, 9},
		{"p50 of ten is the fifth (nearest rank)", ten, 50, 5},
		{"p95 of twenty is the nineteenth", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 95, 19},
		{"p100 is the largest", ten, 100, 10},
		{"p0 is clamped to the smallest", ten, 0, 1},
		{"over 100 is clamped to the largest", ten, 150, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Percentile(tt.in, tt.p))
		})
	}
}

func TestPolls(t *testing.T) {
	every := func(d time.Duration) func(time.Duration) time.Duration {
		return func(time.Duration) time.Duration { return d }
	}
	tests := []struct {
		name     string
		wait     time.Duration
		interval func(time.Duration) time.Duration
		want     int
	}{
		{"done at once: one poll", 0, every(time.Second), 1},
		{"done between polls: the next poll sees it", 1500 * time.Millisecond, every(time.Second), 3},
		{"done exactly on a poll: that poll sees it", 2 * time.Second, every(time.Second), 3},
		{"growing interval", 700 * time.Millisecond, func(e time.Duration) time.Duration { return 100*time.Millisecond + e }, 4}, // 0, 100, 300, 700
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Polls(tt.wait, tt.interval))
		})
	}
	t.Run("a non-positive interval panics rather than loop forever", func(t *testing.T) {
		assert.Panics(t, func() { Polls(time.Second, every(0)) })
	})
}

func TestFollowPolls(t *testing.T) {
	every := func(d time.Duration) func(time.Duration) time.Duration {
		return func(time.Duration) time.Duration { return d }
	}
	assert.Equal(t, 1, FollowPolls(0, every(time.Second)), "the first poll, after one interval, sees it")
	assert.Equal(t, 1, FollowPolls(time.Second, every(time.Second)))
	assert.Equal(t, 2, FollowPolls(1500*time.Millisecond, every(time.Second)))
	assert.Equal(t, 3, FollowPolls(700*time.Millisecond, func(e time.Duration) time.Duration { return 100*time.Millisecond + e })) // 100, 300, 700
	assert.Panics(t, func() { FollowPolls(time.Second, every(0)) })
}

func TestWorstLag(t *testing.T) {
	every := func(d time.Duration) func(time.Duration) time.Duration {
		return func(time.Duration) time.Duration { return d }
	}
	flat := func(time.Duration) time.Duration { return 100 * time.Millisecond }
	assert.InDelta(t, 1.0, WorstLag(time.Second, every(100*time.Millisecond), flat), 1e-9)
	assert.InDelta(t, 2.0, WorstLag(time.Second, every(200*time.Millisecond), flat), 1e-9)
	tenth := func(e time.Duration) time.Duration { return 55*time.Millisecond + e/10 }
	assert.InDelta(t, 1.0, WorstLag(time.Minute, tenth, tenth), 1e-9, "polling on the bound itself meets it exactly")
}
