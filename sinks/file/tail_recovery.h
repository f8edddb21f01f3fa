#pragma once
// Crash recovery of the file sink: which records it already wrote after the position stored with
// the last commit (docs/STATE.md "Sink positions"). Stateless functions, called by
// FileSink::start() before its writer thread exists; they read the files and write nothing.
//
// Promises:
// - A position names one file by its identity (device and inode, which rotation by rename keeps)
//   and a byte offset in it. recoverTail() reads that file from the offset and every newer file
//   (path.k-1 ... path.1, path) whole. A file shorter than the offset (truncated by someone else)
//   or a position whose file is gone (rotated out, replaced) is a warning, never an error: then
//   every existing file is read from its start (within the cap).
// - At most `max_bytes` are read: when the tail is longer, its newest `max_bytes` are read (from
//   the first whole line) and the older part is counted as skipped; records in it are not
//   recognised and can be written again.
// - Whole lines only: a last line without '\n' (an interrupted write) is not taken. A line whose
//   JSON is invalid or has no string/number "Id" at its top level yields no key.
#include <spdlog/logger.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/record_key.h"
#include "core/result.h"
#include "pipeline/parse/record_batch.h"

namespace o365fwd {

struct FilePosition {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t offset = 0;
  bool operator==(const FilePosition&) const = default;
  // "file-v1 dev=D ino=I offset=N" (what the state store keeps).
  std::string encode() const;
  static std::optional<FilePosition> decode(std::string_view text);
};

// The key the file sink matches audit records on: RecordKey::of("", Id, Operation). The file
// holds no tenant, so the tenant part is empty on both sides (writing and recovering).
RecordKey fileRecordKey(std::string_view id, std::string_view operation);
// The key of a ServiceHealth.Issue record: RecordKey::of(tenant, id, lastModifiedDateTime). Its
// line names the tenant ("o365fwd":{"tenant":...} first), and Microsoft gives every tenant the
// same issue ids, so the tenant is part of it.
RecordKey serviceHealthFileKey(std::string_view tenant, std::string_view id,
                               std::string_view last_modified);
// The key of record `i` of `batch` as its line will yield it (by the batch's content type).
RecordKey batchRecordFileKey(const RecordBatch& batch, std::size_t i);

// The key of one NDJSON line: top-level "Id" (a string; anything else counts as no Id) and
// "Operation" (a string, or a number kept as its text); the first occurrence wins; escapes
// decoded — the rules of parseBlobInto(). A line whose first member is "o365fwd" with
// "contentType":"ServiceHealth.Issue" is a service health record: serviceHealthFileKey() of its
// tenant, "id" and "lastModifiedDateTime". Stops parsing once the key is known. nullopt: no Id,
// or not a JSON object.
std::optional<RecordKey> lineRecordKey(std::string_view line);

struct RecoveredTail {
  std::unordered_set<RecordKey, RecordKeyHash> keys;
  std::uint64_t files = 0;  // files read (wholly or partly)
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_skipped = 0;  // tail bytes beyond the cap: not read
  std::uint64_t lines = 0;          // whole lines read
  std::uint64_t lines_without_key = 0;
  std::uint64_t torn_bytes = 0;  // a last line without '\n'
  // Where reading started: the stored position, its file's start when the file was shorter, or
  // nullopt when every file was read from its start (nothing stored, or its file is gone).
  std::optional<FilePosition> read_from;
};

// `from`: the stored position; nullopt (nothing stored yet) reads every existing file from its
// start. Errors (retryable, kIo) only when a file that exists cannot be read.
Result<RecoveredTail> recoverTail(const std::filesystem::path& path, int max_files,
                                  const std::optional<FilePosition>& from, std::uint64_t max_bytes,
                                  spdlog::logger& log);

}  // namespace o365fwd
