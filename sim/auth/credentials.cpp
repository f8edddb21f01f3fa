#include "sim/auth/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/secrets/crypto.h"
#include "sim/json_text.h"

namespace o365fwd::sim {

Status writeFileAtomic(const std::string& path, const std::string& text, unsigned mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return Error::permanent(ErrorKind::kIo, "cannot write " + path + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Error::permanent(ErrorKind::kIo, "cannot write " + path + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Error::permanent(ErrorKind::kIo, "cannot rename " + tmp + ": " + std::strerror(errno));
  return okStatus();
}

Status generateCertificates(SimConfig& config, const std::string& dir, int days) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error::permanent(ErrorKind::kIo,
                            "cannot create certificate directory " + dir + ": " + ec.message());
  for (auto& t : config.tenants) {
    if (t.apps.empty() || !t.apps.front().certificate_files.empty()) continue;
    auto generated = crypto::generateSelfSigned("o365fwd-sim " + t.name, 2048, days);
    if (!generated.ok()) return generated.error();
    const std::string base = (std::filesystem::path(dir) / t.name).string();
    Status s = writeFileAtomic(base + ".crt", generated->certificate_pem, 0644);
    if (s.ok()) s = writeFileAtomic(base + ".key", generated->private_key_pem, 0600);
    if (!s.ok()) return s;
    t.apps.front().certificate_files.push_back(std::filesystem::absolute(base + ".crt").string());
    t.apps.front().private_key_file = std::filesystem::absolute(base + ".key").string();
  }
  return okStatus();
}

Status writeCredentials(const SimConfig& config, const std::string& base_url,
                        const std::string& path) {
  std::string out = "{\"api_url\":" + jsonString(base_url) +
                    ",\"login_url\":" + jsonString(base_url) + ",\"tenants\":[";
  for (size_t i = 0; i < config.tenants.size(); ++i) {
    const auto& t = config.tenants[i];
    const AppConfig& app = t.apps.front();
    out += i > 0 ? ",\n" : "\n";
    out += "{\"name\":" + jsonString(t.name) + ",\"tenant_id\":" + jsonString(t.tenant_id) +
           ",\"domain\":" + jsonString(t.domain) + ",\"client_id\":" + jsonString(app.client_id) +
           ",\"client_secret\":" + jsonString(app.client_secret) + ",\"certificate_file\":" +
           jsonString(app.certificate_files.empty() ? "" : app.certificate_files.front()) +
           ",\"private_key_file\":" + jsonString(app.private_key_file) + "}";
  }
  out += "\n]}\n";
  return writeFileAtomic(path, out, 0600);
}

}  // namespace o365fwd::sim
