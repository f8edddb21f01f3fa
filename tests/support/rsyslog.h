#pragma once
// A private rsyslogd for integration tests (Debian's rsyslog, rsyslog-openssl, rsyslog-relp):
// its own configuration, work directory, pid file and output file under `dir`, one input (imtcp,
// imtcp with the ossl stream driver, imudp or imrelp) on 127.0.0.1 and a free port chosen at the
// first start and kept across restarts (so a sink can reconnect to the same address). Never
// touches the system rsyslog. Every received message is written by omfile with a list template
// (msgid, app-name, hostname, pri, structured-data, msg separated by tabs) that records() parses.
// The generated records must not contain raw control characters (rsyslog escapes them).
// One owning thread; the destructor kills a still running rsyslogd.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "tests/support/process.h"

namespace o365fwd::testing {

enum class RsyslogInput { kTcp, kTls, kUdp, kRelp };

struct RsyslogRecord {
  std::string msgid;
  std::string app_name;
  std::string hostname;
  std::string pri;
  std::string structured_data;  // as received: "[o365@32473 tenant=\"..\" ...]" or "-"
  std::string msg;              // rsyslog's msg property (RFC 3164: with its leading space)
};

// Paths of a test PKI made with the openssl CLI: a CA and a server certificate for
// DNS:localhost, IP:127.0.0.1 signed by it.
struct TestPki {
  std::filesystem::path ca_cert, server_cert, server_key;
};
Result<TestPki> makeTestPki(const std::filesystem::path& dir);

class Rsyslog {
 public:
  // `pki` is required for kTls.
  Rsyslog(RsyslogInput input, std::filesystem::path dir, std::optional<TestPki> pki = {});
  ~Rsyslog();
  static bool available();  // /usr/sbin/rsyslogd exists

  // Writes the configuration and starts rsyslogd; returns once its input listens on port().
  Status start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM and wait for the exit (rsyslog drains its queue to the output file first).
  Status stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool running() { return process_.running(); }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path outputFile() const { return dir_ / "out.log"; }
  // Parses everything in the output file; lines that do not have six fields are returned with
  // the whole line in `msg` and the other fields empty (so a test sees them).
  std::vector<RsyslogRecord> records() const;
  std::string log() const { return process_.stderrText() + process_.stdoutText(); }

 private:
  std::string config() const;
  bool listening() const;

  RsyslogInput input_;
  std::filesystem::path dir_;
  std::optional<TestPki> pki_;
  int port_ = 0;
  ChildProcess process_;
};

// Splits an RFC 5424 STRUCTURED-DATA element list into (SD-ID, name, unescaped value) triples.
struct SdParam {
  std::string sd_id, name, value;
};
std::vector<SdParam> parseStructuredData(const std::string& sd);

}  // namespace o365fwd::testing
