// The Engine tests live in this target (one file per concern).
import Testing
