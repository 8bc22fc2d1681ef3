package action

import (
	"context"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignalsInTwoLevels(t *testing.T) {
	tests := []struct {
		name     string
		signals  []os.Signal // sent 2 s apart
		wantHard time.Duration
		wantErr  string
	}{
		{"SIGINT alone: the hard stop comes after the grace", []os.Signal{os.Interrupt}, Grace, "cancelled (received interrupt, 7.5s ago)"},
		{"SIGINT then SIGTERM", []os.Signal{os.Interrupt, syscall.SIGTERM}, 2 * time.Second, "cancelled (received terminated)"},
		{"SIGINT twice", []os.Signal{os.Interrupt, os.Interrupt}, 2 * time.Second, "cancelled (received interrupt)"},
		{"SIGTERM first stops everything", []os.Signal{syscall.SIGTERM}, 0, "cancelled (received terminated)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ch := make(chan os.Signal, 1)
				ctx, hard, stop := watchSignals(context.Background(), ch, Grace)
				defer stop()
				start := time.Now()
				go func() {
					for i, sig := range tc.signals {
						if i > 0 {
							time.Sleep(2 * time.Second)
						}
						ch <- sig
					}
				}()
				<-ctx.Done()
				assert.Equal(t, time.Duration(0), time.Since(start), "soft at the first signal")
				require.EqualError(t, context.Cause(ctx), "cancelled (received "+tc.signals[0].String()+")")
				require.ErrorIs(t, context.Cause(ctx), context.Canceled)
				<-hard.Done()
				assert.Equal(t, tc.wantHard, time.Since(start))
				assert.EqualError(t, context.Cause(hard), tc.wantErr)
			})
		})
	}
}

func TestSignalsStopReleases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, hard, stop := watchSignals(context.Background(), make(chan os.Signal), Grace)
		require.NoError(t, ctx.Err())
		stop()
		synctest.Wait()
		require.ErrorIs(t, ctx.Err(), context.Canceled)
		assert.ErrorIs(t, hard.Err(), context.Canceled)
	})
}
