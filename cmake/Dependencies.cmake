# Every third-party lookup in one place. Debian 12 package names in scripts/install-deps.sh.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)                    # libcurl4-openssl-dev
find_package(OpenSSL REQUIRED)                 # libssl-dev
find_package(SQLite3 REQUIRED)                 # libsqlite3-dev
find_package(yaml-cpp REQUIRED)                # libyaml-cpp-dev (target: yaml-cpp)
find_package(spdlog REQUIRED)                  # libspdlog-dev (target: spdlog::spdlog)
find_package(CLI11 CONFIG QUIET)               # libcli11-dev
if(NOT CLI11_FOUND)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)   # rapidjson-dev
add_library(o365fwd_rapidjson INTERFACE)
target_include_directories(o365fwd_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
target_compile_definitions(o365fwd_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)

pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)      # librdkafka-dev (no CMake package)
# cpp-httplib on Debian is a compiled library whose .pc adds feature defines; use it only via pkg-config.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # libcpp-httplib-dev (simulator, tests)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)    # libmicrohttpd-dev (health endpoint)
pkg_check_modules(BROTLIENC REQUIRED IMPORTED_TARGET libbrotlienc)  # libbrotli-dev (health answers)
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET libdeflate)   # libdeflate-dev (blob bodies, one-shot gzip)

# librdkafka's mock cluster (experimental API, test code only); tests needing it are skipped without it.
include(CheckCXXSourceCompiles)
check_cxx_source_compiles("#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
int main() { return rd_kafka_mock_cluster_new == nullptr; }" O365FWD_HAVE_RDKAFKA_MOCK)

if(O365FWD_BUILD_TESTS)
  find_package(GTest REQUIRED)                 # libgtest-dev, libgmock-dev
endif()
