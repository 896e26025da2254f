# Step timing for `make test` (sourced by scripts/test.sh). `step NAME CMD…` runs a step in
# the foreground; `bg_step NAME CMD…` starts one beside the others (its output goes to
# target/steps/NAME.log and is shown when `await_step NAME` collects it). Every step's start,
# end and exit status go to target/steps/steps.tsv; `steps_report` prints them as a table with
# the total, also when a step failed.

STEPS_DIR=${STEPS_DIR:-$PWD/target/steps}
STEPS_T0=${STEPS_T0:-$(date +%s)}
declare -A STEP_PID=()

steps_begin() {
  rm -rf "$STEPS_DIR" && mkdir -p "$STEPS_DIR"
  STEPS_T0=$(date +%s)
  : >"$STEPS_DIR/steps.tsv"
}

# Runs "$@" and records it as step $1. Returns the command's status.
step() {
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s)
  echo "== step $name ($(steps_clock "$t0"))"
  "$@" || rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$((t0 - STEPS_T0))" "$(($(date +%s) - t0))" "$rc" >>"$STEPS_DIR/steps.tsv"
  [ "$rc" -eq 0 ] || echo "== step $name failed (status $rc)" >&2
  return "$rc"
}

# Starts step $1 in the background; its output goes to $STEPS_DIR/$1.log.
bg_step() {
  local name=$1
  echo "== step $name started beside the others ($(steps_clock "$(date +%s)"))"
  (step "$@") >"$STEPS_DIR/$name.log" 2>&1 &
  STEP_PID[$name]=$!
}

# Waits for a background step, shows its output, and returns its status.
await_step() {
  local name=$1 rc=0
  wait "${STEP_PID[$name]}" || rc=$?
  unset "STEP_PID[$name]"
  echo "== output of $name (ran beside the others)"
  cat "$STEPS_DIR/$name.log"
  return "$rc"
}

steps_clock() {
  local s=$(($1 - STEPS_T0))
  printf '%d:%02d' $((s / 60)) $((s % 60))
}

# The table: each step's start (minutes from the beginning), its wall time, and its status.
steps_report() {
  local total=$(($(date +%s) - STEPS_T0))
  echo
  echo "make test: step times (wall clock; steps marked ∥ ran beside others)"
  printf '  %-22s %8s %9s  %s\n' step start duration status
  while IFS=$'\t' read -r name start dur rc; do
    local shown
    shown=$(printf '%-22s' "$name")
    [ -f "$STEPS_DIR/$name.log" ] && shown="${shown% } ∥"
    printf '  %s %5d:%02d %6d:%02d  %s\n' "$shown" $((start / 60)) $((start % 60)) \
      $((dur / 60)) $((dur % 60)) "$([ "$rc" = 0 ] && echo ok || echo "FAILED ($rc)")"
  done <"$STEPS_DIR/steps.tsv"
  printf '  %-22s %8s %6d:%02d\n' total "" $((total / 60)) $((total % 60))
}
