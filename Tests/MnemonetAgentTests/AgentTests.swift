// The Agent tests live in this target (one file per concern).
import Testing
