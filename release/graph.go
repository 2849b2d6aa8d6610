package release

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Step is one node of the build graph.
type Step struct {
	// ID names the step: "packages", "images", "os/amd64", "disk/amd64".
	ID string
	// Needs are the IDs of the steps that must finish first.
	Needs []string
	// From says what the step builds from, To where its output goes
	// (relative to the release directory); both for --dry-run.
	From, To string
	run      func(ctx context.Context, b *build) ([]Artifact, error)
}

// Graph is a set of steps with their dependencies.
type Graph struct {
	Steps []Step
}

// step returns the step with id.
func (g Graph) step(id string) (Step, bool) {
	for _, s := range g.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// Order returns the step IDs in an order that runs every step after its
// needs, or an error naming an unknown need or a cycle.
func (g Graph) Order() ([]string, error) {
	state := map[string]int{} // 1 visiting, 2 done
	var out []string
	var visit func(id string, path []string) error
	visit = func(id string, path []string) error {
		s, ok := g.step(id)
		if !ok {
			return fmt.Errorf("step %s needs %s, which is not in the plan", path[len(path)-1], id)
		}
		switch state[id] {
		case 1:
			return fmt.Errorf("steps depend on each other: %s", strings.Join(append(path, id), " -> "))
		case 2:
			return nil
		}
		state[id] = 1
		needs := slices.Clone(s.Needs)
		sort.Strings(needs)
		for _, n := range needs {
			if err := visit(n, append(path, id)); err != nil {
				return err
			}
		}
		state[id] = 2
		out = append(out, id)
		return nil
	}
	for _, s := range g.Steps {
		if err := visit(s.ID, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// StepError is a step that failed.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// observer is told when a step starts and ends.
type observer interface {
	Start(id string)
	Done(id string, err error)
}

// run runs the graph's steps, each once its needs are done, at most
// workers at a time, telling obs (optional) about each. The first failure
// cancels the steps still running and is returned as a *StepError; steps
// that finished keep what they put in the caches.
func (g Graph) run(ctx context.Context, workers int, b *build, obs observer) ([]Artifact, error) {
	if _, err := g.Order(); err != nil {
		return nil, err
	}
	if workers < 1 {
		workers = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		done     = map[string]bool{}
		running  = map[string]bool{}
		firstErr error
		arts     []Artifact
		wg       sync.WaitGroup
		wake     = make(chan struct{}, len(g.Steps)+1)
		slots    = make(chan struct{}, workers)
	)
	ready := func(s Step) bool {
		for _, n := range s.Needs {
			if !done[n] {
				return false
			}
		}
		return !done[s.ID] && !running[s.ID]
	}
	for {
		mu.Lock()
		if firstErr != nil || len(done) == len(g.Steps) {
			mu.Unlock()
			break
		}
		var next []Step
		for _, s := range g.Steps {
			if ready(s) {
				next = append(next, s)
				running[s.ID] = true
			}
		}
		idle := len(running) == 0
		mu.Unlock()
		if idle && len(next) == 0 {
			break // nothing runs and nothing can start: cannot happen after Order
		}
		for _, s := range next {
			wg.Add(1)
			go func(s Step) {
				defer wg.Done()
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					mu.Lock()
					if firstErr == nil {
						firstErr = &StepError{Step: s.ID, Err: ctx.Err()}
					}
					mu.Unlock()
					wake <- struct{}{}
					return
				}
				if obs != nil {
					obs.Start(s.ID)
				}
				a, err := s.run(ctx, b)
				<-slots
				if obs != nil {
					obs.Done(s.ID, err)
				}
				mu.Lock()
				delete(running, s.ID)
				if err != nil && firstErr == nil {
					firstErr = &StepError{Step: s.ID, Err: err}
					cancel()
				}
				if err == nil {
					done[s.ID] = true
					arts = append(arts, a...)
				}
				mu.Unlock()
				wake <- struct{}{}
			}(s)
		}
		select {
		case <-wake:
		case <-ctx.Done():
			mu.Lock()
			if firstErr == nil {
				firstErr = ctx.Err()
			}
			mu.Unlock()
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return arts, nil
}
