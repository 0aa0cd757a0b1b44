#!/usr/bin/env bash
# The README's test command: installs test dependencies, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --workspace
