package starvcentersim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// StateFile is the name of the state file inside Config.StateDir.
const StateFile = "starvcenter-state.json"

// load reads a saved state; it reports false when there is none.
func (s *Server) load() (bool, error) {
	if s.dir == "" {
		return false, nil
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return false, fmt.Errorf("starvcenter sim: state dir: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(s.dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("starvcenter sim: read state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return false, fmt.Errorf("starvcenter sim: parse state %s: %w", filepath.Join(s.dir, StateFile), err)
	}
	if st.Version != stateVersion {
		return false, fmt.Errorf("starvcenter sim: state version %d, want %d", st.Version, stateVersion)
	}
	s.st = st
	s.recoverTasks(s.now())
	return true, nil
}

// saveLocked writes the state if it changed, atomically (write, then rename).
// Caller holds s.mu.
func (s *Server) saveLocked() error {
	if s.dir == "" || !s.dirty {
		return nil
	}
	b, err := json.Marshal(s.st)
	if err != nil {
		return fmt.Errorf("starvcenter sim: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, StateFile+".*")
	if err != nil {
		return fmt.Errorf("starvcenter sim: save state: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("starvcenter sim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, StateFile)); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("starvcenter sim: save state: %w", err)
	}
	s.dirty = false
	return nil
}
