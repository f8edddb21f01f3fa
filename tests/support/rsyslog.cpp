#include "tests/support/rsyslog.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace o365fwd::testing {

namespace fs = std::filesystem;

namespace {

const char* kRsyslogd = "/usr/sbin/rsyslogd";

// A port that was free a moment ago (bind to 0, read it, close).
int freePort(int type) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

Status runTool(const std::vector<std::string>& argv) {
  ChildProcess p;
  if (Status st = p.start(argv); !st.ok()) return st;
  std::optional<int> rc = p.wait(std::chrono::seconds(60));
  if (!rc || *rc != 0)
    return Error::permanent(ErrorKind::kInternal,
                            argv[0] + " " + argv[1] + " failed: " + p.stderrText());
  return okStatus();
}

}  // namespace

Result<TestPki> makeTestPki(const fs::path& dir) {
  TestPki pki{dir / "ca.pem", dir / "srv.pem", dir / "srv.key"};
  const std::string ssl = "/usr/bin/openssl";
  fs::path ca_key = dir / "ca.key", csr = dir / "srv.csr", ext = dir / "ext.cnf";
  std::ofstream(ext) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {ssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key.string(),
            "-out", pki.ca_cert.string(), "-days", "2", "-subj", "/CN=o365fwd test CA"},
           {ssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", pki.server_key.string(), "-out",
            csr.string(), "-subj", "/CN=localhost"},
           {ssl, "x509", "-req", "-in", csr.string(), "-CA", pki.ca_cert.string(), "-CAkey",
            ca_key.string(), "-CAcreateserial", "-out", pki.server_cert.string(), "-days", "2",
            "-extfile", ext.string()}}) {
    if (Status st = runTool(argv); !st.ok()) return st.error();
  }
  return pki;
}

Rsyslog::Rsyslog(RsyslogInput input, fs::path dir, std::optional<TestPki> pki)
    : input_(input), dir_(std::move(dir)), pki_(std::move(pki)) {}

Rsyslog::~Rsyslog() {
  if (process_.running()) process_.kill();
}

bool Rsyslog::available() {
  return fs::exists(kRsyslogd);
}

std::string Rsyslog::config() const {
  std::ostringstream c;
  std::string d = dir_.string();
  c << "global(workDirectory=\"" << d << "\" maxMessageSize=\"64k\"";
  if (input_ == RsyslogInput::kTls) {
    c << " DefaultNetstreamDriver=\"ossl\" DefaultNetstreamDriverCAFile=\""
      << pki_->ca_cert.string() << "\" DefaultNetstreamDriverCertFile=\""
      << pki_->server_cert.string() << "\" DefaultNetstreamDriverKeyFile=\""
      << pki_->server_key.string() << "\"";
  }
  c << ")\n";
  std::string common =
      " address=\"127.0.0.1\" port=\"" + std::to_string(port_) + "\" ruleset=\"in\"";
  switch (input_) {
    case RsyslogInput::kTcp:
      c << "module(load=\"imtcp\")\ninput(type=\"imtcp\"" << common
        << " discardTruncatedMsg=\"on\")\n";
      break;
    case RsyslogInput::kTls:
      c << "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\" "
           "StreamDriver.AuthMode=\"anon\")\ninput(type=\"imtcp\""
        << common << " discardTruncatedMsg=\"on\")\n";
      break;
    case RsyslogInput::kUdp:
      c << "module(load=\"imudp\")\ninput(type=\"imudp\"" << common << ")\n";
      break;
    case RsyslogInput::kRelp:
      c << "module(load=\"imrelp\")\ninput(type=\"imrelp\"" << common << ")\n";
      break;
  }
  c << "template(name=\"fields\" type=\"list\") {\n"
       "  property(name=\"msgid\") constant(value=\"\\t\")\n"
       "  property(name=\"app-name\") constant(value=\"\\t\")\n"
       "  property(name=\"hostname\") constant(value=\"\\t\")\n"
       "  property(name=\"pri\") constant(value=\"\\t\")\n"
       "  property(name=\"structured-data\") constant(value=\"\\t\")\n"
       "  property(name=\"msg\") constant(value=\"\\n\")\n"
       "}\n"
       "ruleset(name=\"in\") { action(type=\"omfile\" file=\""
    << outputFile().string() << "\" template=\"fields\") }\n";
  return c.str();
}

bool Rsyslog::listening() const {
  // /proc/net/{tcp,udp}: "sl local_address rem_address st ..." with the port in hex.
  const bool udp = input_ == RsyslogInput::kUdp;
  std::ifstream in(udp ? "/proc/net/udp" : "/proc/net/tcp");
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", port_);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string sl, local, remote, state;
    fields >> sl >> local >> remote >> state;
    if (local.size() >= 5 && local.compare(local.size() - 5, 5, want) == 0 &&
        (udp || state == "0A"))
      return true;
  }
  return false;
}

Status Rsyslog::start(std::chrono::milliseconds timeout) {
  if (input_ == RsyslogInput::kTls && !pki_)
    return Error::permanent(ErrorKind::kInternal, "Rsyslog: TLS needs a TestPki");
  if (port_ == 0) port_ = freePort(input_ == RsyslogInput::kUdp ? SOCK_DGRAM : SOCK_STREAM);
  fs::path conf = dir_ / "rsyslog.conf";
  std::ofstream(conf) << config();
  std::error_code ec;
  fs::remove(dir_ / "rsyslog.pid", ec);
  ProcessOptions options;
  options.stderr_file = dir_ / "rsyslogd.stderr";
  options.stdout_file = dir_ / "rsyslogd.stdout";
  if (Status st = process_.start(
          {kRsyslogd, "-n", "-f", conf.string(), "-i", (dir_ / "rsyslog.pid").string()}, options);
      !st.ok())
    return st;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!listening()) {
    if (!process_.running())
      return Error::permanent(ErrorKind::kInternal, "rsyslogd exited at start: " + log());
    if (std::chrono::steady_clock::now() > deadline)
      return Error::permanent(ErrorKind::kInternal,
                              "rsyslogd does not listen on port " + std::to_string(port_));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return okStatus();
}

Status Rsyslog::stop(std::chrono::milliseconds timeout) {
  if (!process_.running()) return okStatus();
  process_.signal(SIGTERM);
  if (!process_.wait(timeout)) {
    process_.kill();
    return Error::permanent(ErrorKind::kInternal, "rsyslogd ignored SIGTERM; killed");
  }
  return okStatus();
}

std::vector<RsyslogRecord> Rsyslog::records() const {
  std::vector<RsyslogRecord> out;
  std::ifstream in(outputFile(), std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (int i = 0; i < 5; ++i) {
      std::size_t tab = line.find('\t', pos);
      if (tab == std::string::npos) break;
      f.push_back(line.substr(pos, tab - pos));
      pos = tab + 1;
    }
    RsyslogRecord r;
    if (f.size() == 5) {
      r = RsyslogRecord{f[0], f[1], f[2], f[3], f[4], line.substr(pos)};
    } else {
      r.msg = line;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<SdParam> parseStructuredData(const std::string& sd) {
  std::vector<SdParam> out;
  std::size_t i = 0;
  while (i < sd.size() && sd[i] == '[') {
    std::size_t sp = sd.find_first_of(" ]", i);
    if (sp == std::string::npos) break;
    std::string id = sd.substr(i + 1, sp - i - 1);
    i = sp;
    while (i < sd.size() && sd[i] == ' ') {
      std::size_t eq = sd.find('=', i);
      if (eq == std::string::npos || eq + 1 >= sd.size() || sd[eq + 1] != '"') return out;
      SdParam p{id, sd.substr(i + 1, eq - i - 1), {}};
      std::size_t j = eq + 2;
      for (; j < sd.size() && sd[j] != '"'; ++j) {
        if (sd[j] == '\\' && j + 1 < sd.size() &&
            (sd[j + 1] == '"' || sd[j + 1] == '\\' || sd[j + 1] == ']'))
          ++j;
        p.value.push_back(sd[j]);
      }
      out.push_back(std::move(p));
      i = j + 1;
    }
    if (i < sd.size() && sd[i] == ']') ++i;
  }
  return out;
}

}  // namespace o365fwd::testing
