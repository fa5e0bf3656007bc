#!/usr/bin/env bash
# Set up everything netbridge needs to build and test, idempotently:
#   1. Debian packages (toolchain, QEMU, Zephyr's Python deps, udev for serialport's list()),
#      installed only when something is missing;
#   2. the npm dependencies (npm ci with a lockfile, else npm install);
#   3. a report on the Zephyr workspace. It never downloads Zephyr itself.
# Works without a terminal (CI=true, no stdin).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  cmake ninja-build device-tree-compiler file gcc-arm-none-eabi picolibc-arm-none-eabi
  qemu-system-arm gcc-multilib g++-multilib
  python3-pyelftools python3-pykwalify python3-ruamel.yaml python3-dateutil python3-yaml
  python3-packaging python3-jsonschema python3-cbor2 python3-regex
  udev
)

missing_packages() {
  local p status
  for p in "${apt_packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || echo "$p"
  done
}

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  echo "setup: not a Debian/Ubuntu system; install by hand: ${apt_packages[*]}" >&2
else
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    echo "setup: system packages present"
  else
    echo "setup: installing ${missing[*]}"
    sudo=()
    if ((EUID != 0)); then
      command -v sudo >/dev/null || { echo "setup: need root or sudo to install packages" >&2; exit 1; }
      sudo=(sudo -n)
      [[ -t 0 ]] && sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq </dev/null
    # gcc-multilib (for 32-bit native_sim) conflicts with gcc-i686-linux-gnu; apt reports it if so.
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  fi
fi

if ! command -v npm >/dev/null; then
  echo "setup: npm not found: install Node.js 20 or later" >&2
  exit 1
fi
# Skip npm when node_modules already matches package.json: npm ci would delete and refetch it.
if npm ls --depth=0 >/dev/null 2>&1; then
  echo "setup: npm dependencies present"
elif [[ -f package-lock.json ]]; then
  # npm ci refuses a lockfile that lacks optional platform packages (cbor-extract's prebuilt
  # binaries); npm install then resolves them from the same lockfile.
  npm ci --no-audit --no-fund </dev/null || {
    echo "setup: npm ci failed; falling back to npm install" >&2
    npm install --no-audit --no-fund </dev/null
  }
else
  npm install --no-audit --no-fund </dev/null
fi

zephyr_base=${ZEPHYR_BASE:-$HOME/zephyrproject/zephyr}
if [[ -f $zephyr_base/VERSION ]]; then
  version=$(awk -F' *= *' '/^VERSION_MAJOR/{a=$2} /^VERSION_MINOR/{b=$2} /^PATCHLEVEL/{c=$2} END{print a"."b"."c}' "$zephyr_base/VERSION")
  echo "setup: Zephyr $version found at $zephyr_base; the HIL tier will run (npm run hil)"
else
  cat <<MSG
setup: no Zephyr workspace found (ZEPHYR_BASE, else \$HOME/zephyrproject/zephyr).
  The unit tier runs without one; the HIL tier needs one. Either
    - get one with west:   pip install west
                           west init ~/zephyrproject && cd ~/zephyrproject && west update
                           (or 'west update zcbor cmsis_6 mbedtls' for only the modules netbridge uses)
    - or point at an existing tree:  export ZEPHYR_BASE=/path/to/zephyr
      (modules: ZEPHYR_MODULES="path/cmsis_6;path/zcbor[;path/mbedtls]", else found under ../modules)
MSG
fi
