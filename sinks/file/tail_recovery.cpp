#include "sinks/file/tail_recovery.h"

#include <fcntl.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>
#include <system_error>
#include <vector>

#include "core/config/config.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kReadChunk = 1 << 20;

// The key fields of one line: top-level "Id" and "Operation" (an audit record), or, when the
// first member is the "o365fwd" object of a service health record, its "tenant" and
// "contentType" and the top-level "id" and "lastModifiedDateTime". Aborts the parse once the
// line's key is known.
class KeyHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, KeyHandler> {
 public:
  bool StartObject() {
    ++depth_;
    if (depth_ == 2 && entering_meta_) in_meta_ = true;
    entering_meta_ = false;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (depth_ == 2) in_meta_ = false;
    --depth_;
    return true;
  }
  bool StartArray() {
    if (depth_ == 0) return false;  // a line must be an object
    entering_meta_ = false;
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool Key(const char* str, rapidjson::SizeType len, bool) {
    field_ = nullptr;
    std::string_view key(str, len);
    if (depth_ == 2 && in_meta_) {
      if (key == "tenant" && !tenant_) field_ = &tenant_;
      if (key == "contentType" && !content_type_) field_ = &content_type_;
      return true;
    }
    if (depth_ != 1) return true;
    const bool first = !seen_member_;
    seen_member_ = true;
    if (first && key == kServiceHealthMember) {
      meta_ = true;
      entering_meta_ = true;
      return true;
    }
    if (meta_) {
      if (key == "id" && !id_) field_ = &id_;
      if (key == "lastModifiedDateTime" && !operation_) field_ = &operation_;
      return true;
    }
    if (key == "Id" && !id_) field_ = &id_;
    if (key == "Operation" && !operation_) field_ = &operation_;
    return true;
  }
  bool String(const char* str, rapidjson::SizeType len, bool) { return value(str, len); }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool) {
    if (field_ == &id_ && depth_ == 1) return value("", 0);  // an Id must be a string
    return value(str, len);
  }
  bool Default() {
    field_ = nullptr;
    entering_meta_ = false;
    return depth_ != 0;
  }

  bool done() const {
    if (!id_ || !operation_) return false;
    return !meta_ || (tenant_ && content_type_);
  }
  std::optional<RecordKey> key() const {
    if (!id_ || id_->empty()) return std::nullopt;
    if (meta_ && tenant_ && content_type_ == kServiceHealthContentType)
      return serviceHealthFileKey(*tenant_, *id_, operation_.value_or(""));
    if (meta_) return std::nullopt;  // an "o365fwd" member of another kind: not ours to match
    return fileRecordKey(*id_, operation_.value_or(""));
  }

 private:
  static constexpr std::string_view kServiceHealthMember = "o365fwd";

  bool value(const char* str, rapidjson::SizeType len) {
    entering_meta_ = false;
    if (depth_ == 0) return false;
    if (field_ != nullptr) *field_ = std::string(str, len);
    field_ = nullptr;
    return !done();  // the key is known: stop here
  }

  int depth_ = 0;
  bool seen_member_ = false;    // a top-level member was seen
  bool meta_ = false;           // the first top-level member is "o365fwd"
  bool entering_meta_ = false;  // its value is about to start
  bool in_meta_ = false;        // inside the "o365fwd" object
  std::optional<std::string>* field_ = nullptr;
  std::optional<std::string> id_;
  std::optional<std::string> operation_;
  std::optional<std::string> tenant_;
  std::optional<std::string> content_type_;
};

struct Segment {
  fs::path file;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

struct FileInfo {
  fs::path file;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
};

Error readError(const fs::path& file, const char* what, int err) {
  return Error::retryableError(ErrorKind::kIo,
                               std::string("Cannot ") + what + " " + file.string() +
                                   " to recover what was written after the last "
                                   "commit: " +
                                   std::error_code(err, std::generic_category()).message());
}

// Reads [begin, end) of `seg.file`; lines are taken whole; a line cut by `begin` is skipped when
// `align` (the start lies inside a line).
Status readSegment(const Segment& seg, bool align, RecoveredTail& out) {
  int fd = ::open(seg.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return readError(seg.file, "open", errno);
  ++out.files;
  std::string carry;
  std::string buf(kReadChunk, '\0');
  bool skipping = align;
  std::uint64_t at = seg.begin;
  Status result = okStatus();
  auto take = [&](std::string_view line) {
    ++out.lines;
    if (auto key = lineRecordKey(line)) {
      out.keys.insert(*key);
    } else {
      ++out.lines_without_key;
    }
  };
  while (at < seg.end) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunk, seg.end - at));
    ssize_t got = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      result = readError(seg.file, "read", errno);
      break;
    }
    if (got == 0) break;  // shorter than when it was measured
    at += static_cast<std::uint64_t>(got);
    out.bytes_read += static_cast<std::uint64_t>(got);
    std::string_view chunk(buf.data(), static_cast<std::size_t>(got));
    for (;;) {
      std::size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        if (!skipping) carry.append(chunk);
        break;
      }
      if (skipping) {
        skipping = false;
      } else if (carry.empty()) {
        take(chunk.substr(0, nl));
      } else {
        carry.append(chunk.substr(0, nl));
        take(carry);
        carry.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
  }
  out.torn_bytes += carry.size();
  ::close(fd);
  return result;
}

}  // namespace

std::string FilePosition::encode() const {
  return "file-v1 dev=" + std::to_string(dev) + " ino=" + std::to_string(ino) +
         " offset=" + std::to_string(offset);
}

std::optional<FilePosition> FilePosition::decode(std::string_view text) {
  constexpr std::string_view kPrefix = "file-v1 ";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  FilePosition p;
  std::uint64_t* fields[] = {&p.dev, &p.ino, &p.offset};
  const std::string_view names[] = {"dev=", "ino=", "offset="};
  for (int i = 0; i < 3; ++i) {
    if (text.substr(0, names[i].size()) != names[i]) return std::nullopt;
    text.remove_prefix(names[i].size());
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *fields[i]);
    if (ec != std::errc()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (i < 2) {
      if (text.empty() || text.front() != ' ') return std::nullopt;
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) return std::nullopt;
  return p;
}

RecordKey fileRecordKey(std::string_view id, std::string_view operation) {
  return RecordKey::of("", id, operation);
}

RecordKey serviceHealthFileKey(std::string_view tenant, std::string_view id,
                               std::string_view last_modified) {
  return RecordKey::of(tenant, id, last_modified);
}

RecordKey batchRecordFileKey(const RecordBatch& batch, std::size_t i) {
  if (batch.content.stream.content_type == kServiceHealthContentType)
    return serviceHealthFileKey(batch.content.stream.tenant, batch.id(i), batch.operation(i));
  return fileRecordKey(batch.id(i), batch.operation(i));
}

std::optional<RecordKey> lineRecordKey(std::string_view line) {
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  rapidjson::MemoryStream stream(line.data(), line.size());
  rapidjson::Reader reader;
  KeyHandler handler;
  rapidjson::ParseResult parsed = reader.Parse<kFlags>(stream, handler);
  bool complete = parsed || (parsed.Code() == rapidjson::kParseErrorTermination && handler.done());
  if (!complete) return std::nullopt;
  return handler.key();
}

Result<RecoveredTail> recoverTail(const fs::path& path, int max_files,
                                  const std::optional<FilePosition>& from, std::uint64_t max_bytes,
                                  spdlog::logger& log) {
  // Oldest first: path.N ... path.1, path.
  std::vector<FileInfo> files;
  for (int i = std::max(0, max_files); i >= 0; --i) {
    fs::path file = i == 0 ? path : fs::path(path.string() + "." + std::to_string(i));
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return readError(file, "inspect", errno);
    }
    if (!S_ISREG(st.st_mode)) continue;
    files.push_back({file, static_cast<std::uint64_t>(st.st_dev),
                     static_cast<std::uint64_t>(st.st_ino),
                     static_cast<std::uint64_t>(st.st_size)});
  }
  std::vector<Segment> segments;
  std::size_t first = 0;
  std::uint64_t first_offset = 0;
  if (from) {
    auto it = std::find_if(files.begin(), files.end(), [&](const FileInfo& f) {
      return f.dev == from->dev && f.ino == from->ino;
    });
    if (it == files.end()) {
      log.warn(
          "The file of the last committed position is gone (rotated out or replaced); reading "
          "every output file to recover what was written after the last commit. path={} "
          "position=\"{}\"",
          path.string(), from->encode());
    } else if (it->size < from->offset) {
      log.warn(
          "An output file is shorter than its last committed position: something else truncated "
          "it. Reading it from its start to recover what was written after the last commit. "
          "file={} size={} committed_offset={}",
          it->file.string(), it->size, from->offset);
      first = static_cast<std::size_t>(it - files.begin());
    } else {
      first = static_cast<std::size_t>(it - files.begin());
      first_offset = from->offset;
    }
  }
  RecoveredTail out;
  if (from && first < files.size() && files[first].dev == from->dev &&
      files[first].ino == from->ino)
    out.read_from = FilePosition{from->dev, from->ino, first_offset};
  std::uint64_t total = 0;
  for (std::size_t i = first; i < files.size(); ++i) {
    Segment s{files[i].file, i == first ? first_offset : 0, files[i].size};
    if (s.end > s.begin) {
      total += s.end - s.begin;
      segments.push_back(s);
    }
  }
  // The cap: keep the newest max_bytes of the tail.
  std::uint64_t drop = total > max_bytes ? total - max_bytes : 0;
  out.bytes_skipped = drop;
  bool align = false;
  while (drop > 0 && !segments.empty()) {
    Segment& s = segments.front();
    std::uint64_t len = s.end - s.begin;
    if (len <= drop) {
      drop -= len;
      segments.erase(segments.begin());
      continue;
    }
    s.begin += drop;
    drop = 0;
    align = true;  // may start inside a line; a line starting exactly there is skipped too
  }
  if (out.bytes_skipped > 0)
    log.warn(
        "The output written after the last commit is longer than the recovery cap "
        "(collection.max_inflight_bytes); only its newest part is read, and records in the older "
        "part can be written again. path={} tail_bytes={} read_bytes={}",
        path.string(), total, total - out.bytes_skipped);
  for (std::size_t i = 0; i < segments.size(); ++i)
    if (Status s = readSegment(segments[i], i == 0 && align, out); !s.ok()) return s.error();
  return out;
}

}  // namespace o365fwd
