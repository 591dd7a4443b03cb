package app

// Every cloud driver compiled into the binary registers itself here.
import _ "github.com/skyfold/skyfold/internal/cloud/all"
