# Sourced by the grep benchmarks: the two binaries compared, named and versioned.
# INCIDENT and RG choose them (default: a release build made here, and the rg on PATH); e.g.
# RG=~/.cargo/bin/rg for ripgrep 15 where the distribution ships 13.
if [ -z "${INCIDENT:-}" ]; then
  nice -n 10 cargo build --release --quiet
  INCIDENT="$ROOT/target/release/incident"
fi
RG=${RG:-$(command -v rg || true)}
[ -n "$RG" ] || { echo "ripgrep not found: cargo install ripgrep --locked" >&2; exit 2; }
echo "incident: $INCIDENT"
echo "ripgrep:  $($RG --version | head -1)"
