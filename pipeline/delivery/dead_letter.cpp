#include "pipeline/delivery/dead_letter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

Status writeAllAndSync(const std::filesystem::path& path, std::string_view bytes, int flags) {
  int fd = ::open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error::permanent(ErrorKind::kIo,
                            "cannot open " + path.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Error::permanent(ErrorKind::kIo,
                              "cannot write " + path.string() + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    return Error::permanent(ErrorKind::kIo,
                            "cannot fsync " + path.string() + ": " + std::strerror(e));
  }
  if (::close(fd) != 0)
    return Error::permanent(ErrorKind::kIo,
                            "cannot close " + path.string() + ": " + std::strerror(errno));
  return okStatus();
}

std::string safeName(std::string_view s) {
  std::string out;
  for (char c : s)
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_');
  return out;
}

std::string jsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

DeadLetterWriter::DeadLetterWriter(std::filesystem::path state_dir, Clock& clock)
    : dir_(std::move(state_dir) / "dead-letter"), clock_(clock) {}

Result<std::filesystem::path> DeadLetterWriter::write(const ContentRef& content,
                                                      std::string_view reason,
                                                      std::string_view detail,
                                                      std::string_view bytes) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return Error::permanent(ErrorKind::kIo, "cannot create " + dir_.string() + ": " + ec.message());
  std::string stamp = formatIsoMillis(clock_.wallNow());
  std::string file_stamp = safeName(stamp);
  std::filesystem::path path =
      dir_ / (file_stamp + "-" + safeName(content.stream.tenant) + "-" +
              safeName(content.stream.content_type) + "-" + safeName(reason) + "-" +
              std::to_string(++sequence_) + ".json");
  // The bytes are kept as the API sent them, except our own secrets and tokens (a hostile or
  // broken API that echoes the bearer token must not leave it on disk).
  const std::optional<std::string> masked = maskSensitiveValues(bytes);
  if (masked) bytes = *masked;
  if (Status s = writeAllAndSync(path, bytes, O_CREAT | O_EXCL); !s.ok()) return s.error();
  std::string index_line =
      "{\"at\":\"" + stamp + "\",\"tenant\":\"" + jsonEscape(content.stream.tenant) +
      "\",\"content_type\":\"" + jsonEscape(content.stream.content_type) + "\",\"content_id\":\"" +
      jsonEscape(content.content_id) + "\",\"reason\":\"" + jsonEscape(reason) +
      "\",\"detail\":\"" + jsonEscape(detail) + "\",\"file\":\"" +
      jsonEscape(path.filename().string()) + "\",\"bytes\":" + std::to_string(bytes.size()) +
      (masked ? ",\"masked_credentials\":true" : "") + "}\n";
  index_line = redactSecrets(index_line);  // reasons and details may quote an API answer
  if (Status s = writeAllAndSync(dir_ / "index.ndjson", index_line, O_CREAT | O_APPEND); !s.ok())
    return s.error();
  count_.fetch_add(1);
  return path;
}

}  // namespace o365fwd
