package main

import (
	"encoding/json"
	"os"
)

// errorFileEnv names a file into which a command writes its final error as
// JSON (reportedError) besides printing it: the pull broker sets it for
// the `rrun pull` it runs, so that the message and the hint reach the
// session as two fields, never re-parsed from a printed line.
const errorFileEnv = "_RRUN_ERROR_FILE"

// reportedError is the error file's content, versioned as everything that
// crosses a process boundary.
type reportedError struct {
	Version int    `json:"version"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

const reportedErrorVersion = 1

// writeErrorFile writes the error file when errorFileEnv asks for one.
func writeErrorFile(msg, hint string) {
	path := os.Getenv(errorFileEnv)
	if path == "" {
		return
	}
	// Plain strings cannot fail to encode; a file that cannot be written
	// loses nothing, as the printed line still tells the user.
	data, _ := json.Marshal(reportedError{Version: reportedErrorVersion, Message: msg, Hint: hint})
	_ = os.WriteFile(path, data, 0o600)
}

// readErrorFile reads what a child command wrote with writeErrorFile; ok is
// false when it wrote nothing this rrun understands.
func readErrorFile(path string) (reportedError, bool) {
	data, err := os.ReadFile(path)
	var e reportedError
	if err != nil || json.Unmarshal(data, &e) != nil || e.Version != reportedErrorVersion || e.Message == "" {
		return reportedError{}, false
	}
	return e, true
}
