# scripts_common.sh -- set-up shared by run_demo.sh and run_tests.sh:
# install missing Debian packages (as root), bootstrap, configure, build.
# Sourced, not executed.  Honours ZJ_BUILD_DIR (default _build) and
# ZJ_CONFIGURE_FLAGS.

zj_packages="build-essential autoconf automake libtool pkg-config autoconf-archive
libgccjit-12-dev libsleef-dev libcriterion-dev zlib1g-dev dataset-fashion-mnist
libopenmpi-dev openmpi-bin"

# One line per phase, so a long set-up is never silent.
zj_phase () { echo "[zerojit] $*"; }

zj_install_packages () {
  zj_phase "checking packages"
  missing=""
  for p in $zj_packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
    return 1
  fi
  zj_phase "installing:$missing (a few minutes)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq $missing >/dev/null
}

zj_build () {
  top=$(cd "$(dirname "$0")" && pwd)
  cd "$top" || return 1
  if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    zj_phase "bootstrapping (autoreconf)"
    autoreconf -fi || return 1
  fi
  bdir=${ZJ_BUILD_DIR:-_build}
  mkdir -p "$bdir" && cd "$bdir" || return 1
  if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
    zj_phase "configuring $ZJ_CONFIGURE_FLAGS"
    ../configure -q $ZJ_CONFIGURE_FLAGS || return 1
  fi
  zj_phase "building in $bdir (make -j$(nproc))"
  t0=$(date +%s)
  make -j"$(nproc)" >/dev/null || make || return 1
  zj_phase "built in $(( $(date +%s) - t0 )) s"
}
