# Sourced by scripts/build.sh and scripts/build-rpm.sh: compile through ccache when it is installed
# (scripts/install-deps.sh installs it). CMake initialises CMAKE_<LANG>_COMPILER_LAUNCHER from these
# variables on a build directory's first configure, and CCACHE_BASEDIR makes paths relative to the
# repository, so the RPM's %check build (under build-rpm/) reuses the objects of build/.
# Set O365FWD_NO_CCACHE=1 to compile without it.
if [ -z "${O365FWD_NO_CCACHE:-}" ] && command -v ccache >/dev/null 2>&1; then
  export CMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER:-ccache}
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
fi
