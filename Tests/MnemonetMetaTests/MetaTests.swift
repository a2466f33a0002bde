// The Meta tests live in this target (one file per concern).
import Testing
