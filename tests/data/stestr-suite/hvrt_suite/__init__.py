"""A tiny suite shaped like Tempest's: passes, failures, skips, a class fixture
failure, a retried test and captured output. regenerate.sh records its streams."""
