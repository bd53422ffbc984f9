"""Tests of the suite itself (mutants, CLI); not part of a conformance run."""
