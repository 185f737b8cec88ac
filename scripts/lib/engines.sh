# shellcheck shell=bash
# The three browser engines the tests run in, and how each runs the browser
# tests (tests/web.rs). Source it after ensure-tools.sh.
#
#   chromium  Debian's Chromium through chromedriver
#   firefox   Firefox ESR through geckodriver
#   webkit    WebKitGTK's MiniBrowser through WebKitWebDriver, under Xvfb
#             (MiniBrowser has no headless mode)

KSA_ALL_ENGINES="chromium firefox webkit"

# The engines named in "$@" (space- or comma-separated), or all three; fails
# on an unknown name.
ksa_engines() {
  local picked e out=
  picked="$(printf '%s ' "$@" | tr ',' ' ')"
  [ -n "${picked// /}" ] || picked="$KSA_ALL_ENGINES"
  for e in $picked; do
    case " $KSA_ALL_ENGINES " in
      *" $e "*) out="$out $e" ;;
      *) printf 'unknown engine %s (known: %s)\n' "$e" "$KSA_ALL_ENGINES" >&2; return 1 ;;
    esac
  done
  printf '%s\n' "${out# }"
}

# Installs what the engine's browser tests and end-to-end scenarios need.
ensure_engine() {
  case "$1" in
    chromium) ensure_chromium ;;
    firefox) ensure_firefox; ensure_geckodriver ;;
    webkit) ensure_webkit ;;
  esac
}

# The browser suite runs well over wasm-bindgen-test-runner's default 20 s
# (the takeover of a hung lock alone waits its 5 s patience).
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"

# The browser tests (tests/web.rs, wasm-bindgen-test) in one engine.
browser_suite() {
  case "$1" in
    chromium) wasm-pack test --headless --chrome --test web ;;
    firefox) wasm-pack test --headless --firefox --geckodriver "$(command -v geckodriver)" --test web ;;
    webkit) xvfb-run -a wasm-pack test --headless --safari --safaridriver /usr/bin/WebKitWebDriver --test web ;;
  esac
}

# The end-to-end scenarios that run in every engine (tests/e2e/engines), in
# one engine; they need the built pkg/, target/debug/ksa-server and
# tests/e2e/node_modules.
e2e_in_engine() {
  (cd "$KSA_ROOT/tests/e2e" && KSA_ENGINES="$1" npm run --silent test:engines)
}

# Runs "$@" and records how long it took under the label $1 (the rest is the
# command), and whether it failed; returns its status.
KSA_TIMINGS=()
timed() {
  local label="$1" start=$SECONDS status=0
  shift
  "$@" || status=$?
  KSA_TIMINGS+=("$(printf '%5d s  %s%s' $((SECONDS - start)) "$label" "$([ "$status" -eq 0 ] || echo '  FAILED')")")
  return "$status"
}

# One engine's part: timed, and a failure is recorded instead of ending the
# run, so that every engine gets its turn; ksa_finish fails the run after.
KSA_FAILED=()
engine_part() {
  timed "$@" || KSA_FAILED+=("$1")
}

# Prints the timings, then fails if an engine's part failed.
ksa_finish() {
  printf '\ntimings:\n'
  printf '  %s\n' "${KSA_TIMINGS[@]}"
  printf '  %5d s  whole run\n' "$SECONDS"
  if [ "${#KSA_FAILED[@]}" -gt 0 ]; then
    printf '\nfailed:\n'
    printf '  %s\n' "${KSA_FAILED[@]}"
    return 1
  fi
}
