#include "pipeline/state/sqlite_state_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/logging.h"
#include "core/secrets/redact.h"
#include "core/time_format.h"
#include "pipeline/state/recent_key_table.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;

constexpr int kSchemaVersion = 4;
constexpr int kApplicationId = 0x6f333635;  // "o365", marks the file as ours
constexpr std::size_t kMaxReasonBytes = 1024;
constexpr auto kLostBlobMemory = std::chrono::hours(24 * 7);
constexpr int kBusyTimeoutMs = 5000;
constexpr std::int64_t kJournalSizeLimit = 64ll * 1024 * 1024;
constexpr std::size_t kMergeChunks = 16;  // a merge moves 1/16 of its keys per transaction
// A commit appends its record keys to recent_keys this many rows per INSERT (one statement per
// key cost 0.67 us a key in SQLite, 64 rows a statement 0.29 us: issue 14 part 2).
constexpr std::size_t kKeysPerAppend = 64;

// "INSERT INTO recent_keys ... VALUES (?1, ?2, ?129), (?3, ?4, ?129), ...": kKeysPerAppend rows,
// the seen time bound once.
std::string appendRecentManySql() {
  const std::string seen = "?" + std::to_string(2 * kKeysPerAppend + 1);
  std::string sql = "INSERT INTO recent_keys (key_hi, key_lo, seen_at_s) VALUES ";
  for (std::size_t i = 0; i < kKeysPerAppend; ++i) {
    if (i > 0) sql += ", ";
    sql += "(?" + std::to_string(2 * i + 1) + ", ?" + std::to_string(2 * i + 2) + ", " + seen + ")";
  }
  return sql;
}

// Version N-1 -> N is kMigrations[N-1]; version 0 is an empty file.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE meta (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO meta (id, version) VALUES (1, 0);
CREATE TABLE streams (
  id                 INTEGER PRIMARY KEY,
  tenant             TEXT NOT NULL,
  content_type       TEXT NOT NULL,
  watermark_ns       INTEGER,
  last_success_ns    INTEGER,
  blobs_done         INTEGER NOT NULL DEFAULT 0,
  events_forwarded   INTEGER NOT NULL DEFAULT 0,
  duplicates_dropped INTEGER NOT NULL DEFAULT 0,
  dead_lettered      INTEGER NOT NULL DEFAULT 0,
  blobs_lost         INTEGER NOT NULL DEFAULT 0,
  UNIQUE (tenant, content_type)
);
CREATE TABLE done_blobs (
  stream_id          INTEGER NOT NULL REFERENCES streams (id),
  content_id         TEXT NOT NULL,
  content_created_ns INTEGER NOT NULL,
  expiration_ns      INTEGER NOT NULL,
  PRIMARY KEY (stream_id, content_id)
) WITHOUT ROWID;
CREATE INDEX done_blobs_by_expiration ON done_blobs (expiration_ns);
CREATE TABLE seen_keys (
  key_hi    INTEGER NOT NULL,
  key_lo    INTEGER NOT NULL,
  seen_at_s INTEGER NOT NULL,
  PRIMARY KEY (key_hi, key_lo)
) WITHOUT ROWID;
CREATE INDEX seen_keys_by_age ON seen_keys (seen_at_s);
CREATE TABLE recent_keys (
  key_hi    INTEGER NOT NULL,
  key_lo    INTEGER NOT NULL,
  seen_at_s INTEGER NOT NULL
);
CREATE TABLE blob_failures (
  stream_id     INTEGER NOT NULL REFERENCES streams (id),
  content_id    TEXT NOT NULL,
  attempts      INTEGER NOT NULL,
  last_reason   TEXT NOT NULL,
  expiration_ns INTEGER NOT NULL,
  PRIMARY KEY (stream_id, content_id)
) WITHOUT ROWID;
CREATE INDEX blob_failures_by_expiration ON blob_failures (expiration_ns);
CREATE TABLE lost_blobs (
  stream_id     INTEGER NOT NULL REFERENCES streams (id),
  content_id    TEXT NOT NULL,
  reason        TEXT NOT NULL,
  expiration_ns INTEGER NOT NULL,
  PRIMARY KEY (stream_id, content_id)
) WITHOUT ROWID;
CREATE INDEX lost_blobs_by_expiration ON lost_blobs (expiration_ns);
)sql",
    // 2: the file sink's durable position per sink, written with each commit (docs/STATE.md).
    R"sql(
CREATE TABLE IF NOT EXISTS sink_positions (
  sink       TEXT PRIMARY KEY,
  position   TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 3: deep sweep (collection.sweep_interval): last complete sweep and sweep floor per stream.
    R"sql(
CREATE TABLE IF NOT EXISTS stream_sweeps (
  stream_id      INTEGER PRIMARY KEY REFERENCES streams (id),
  last_sweep_ns  INTEGER,
  sweep_floor_ns INTEGER
);
)sql",
    // 4: records the record filters did not admit, per stream (a persisted total like the
    // others; streams of earlier versions start at 0). A table of its own, so the migration can
    // run again (SQLite has no ADD COLUMN IF NOT EXISTS).
    R"sql(
CREATE TABLE IF NOT EXISTS stream_filtered (
  stream_id        INTEGER PRIMARY KEY REFERENCES streams (id),
  records_filtered INTEGER NOT NULL DEFAULT 0
);
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

std::int64_t toNs(WallTime t) {
  return duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

WallTime fromNs(std::int64_t ns) {
  return WallTime(duration_cast<WallTime::duration>(nanoseconds(ns)));
}
// Seen times are whole seconds, rounded down (see prune()).
std::int64_t toSecondsFloor(WallTime t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}
std::int64_t asSigned(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}
std::uint64_t asUnsigned(std::int64_t v) {
  return static_cast<std::uint64_t>(v);
}

std::string_view truncateUtf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string corruptMessage(const fs::path& file, std::string_view detail) {
  std::string f = file.string();
  return "state database " + f + " is damaged or is not an o365fwd state database (" +
         std::string(detail) + "). Stop o365fwd and move it aside (mv " + f + " " + f +
         ".corrupt, with any " + f + "-wal and " + f +
         "-shm): the forwarder then starts afresh from collection.initial_lookback, and records "
         "it forwarded before may be forwarded again because the de-duplication set goes with "
         "the file";
}

// Classifies an SQLite result code where it is detected.
Error sqliteError(int rc, std::string_view detail, const fs::path& file, std::string_view doing) {
  std::string f = file.string();
  std::string what = std::string(doing) + ": " + std::string(detail);
  std::string code = "SQLITE_" + std::to_string(rc);
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Error::retryableError(
          ErrorKind::kIo,
          "the disk holding the state database " + f + " is full (" + what +
              "); free space on that file system — the forwarder retries, nothing was committed",
          "SQLITE_FULL");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::permanent(ErrorKind::kIo, corruptMessage(file, what), "SQLITE_CORRUPT");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::retryableError(ErrorKind::kIo,
                                   "state database " + f + " is locked by another program (" +
                                       what + "); close tools that hold it open (sqlite3 shell)",
                                   "SQLITE_BUSY");
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
      return Error::retryableError(
          ErrorKind::kIo, "I/O error on the state database " + f + " (" + what + ")", code);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
    case SQLITE_AUTH:
      return Error::permanent(ErrorKind::kIo,
                              "cannot write the state database " + f + " (" + what +
                                  "); the file and state_dir must be writable by the service user",
                              code);
    default:
      return Error::permanent(ErrorKind::kIo, "state database " + f + " failed (" + what + ")",
                              code);
  }
}

Status ioError(std::string what, int err) {
  return Error::permanent(ErrorKind::kIo, what + ": " + std::strerror(err));
}

// Takes the exclusive lock of the state directory and writes our pid into the lock file.
Result<int> lockStateDir(const fs::path& dir) {
  fs::path path = dir / "lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ioError("cannot open the lock file " + path.string(), errno).error();
  int rc;
  do rc = ::flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    std::string pid;
    if (err == EWOULDBLOCK) {
      char buf[32] = {};
      ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) pid.push_back(buf[i]);
    }
    ::close(fd);
    if (err != EWOULDBLOCK) return ioError("cannot lock " + path.string(), err).error();
    return Error::permanent(ErrorKind::kIo, "state directory " + dir.string() +
                                                " is in use by another o365fwd process (pid " +
                                                (pid.empty() ? std::string("unknown") : pid) +
                                                "); stop it or use another state_dir");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size()))
    getLogger("pipeline.state")
        ->warn("Cannot write the pid into the lock file; the lock is held anyway. path={} error={}",
               path.string(), std::strerror(errno));
  return fd;
}

Status makeStateDir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return okStatus();
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (ec) return ioError("cannot create " + dir.parent_path().string(), ec.value());
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
    return ioError("cannot create the state directory " + dir.string(), errno);
  return okStatus();
}

// A prepared statement, finalized with its owner.
class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// One use of a prepared statement: binds, steps, and resets it (dropping its bindings) on scope
// exit. Text is bound without a copy, so it must outlive the Call.
class Call {
 public:
  explicit Call(const Stmt& s) : s_(s.get()) {}
  ~Call() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  Call& bind(int i, std::int64_t v) { return note(sqlite3_bind_int64(s_, i, v)); }
  Call& bind(int i, std::string_view v) {
    return note(sqlite3_bind_text(s_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                                  SQLITE_STATIC));
  }
  int step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(s_); }
  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  bool isNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : "";
  }

 private:
  Call& note(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }
  sqlite3_stmt* s_;
  int bind_rc_ = SQLITE_OK;
};

// Per-stream counters: the running store's counters() and the lock-free readStateCounters().
constexpr const char* kAllStreamsSql =
    "SELECT tenant, content_type, watermark_ns, blobs_done, events_forwarded, "
    "duplicates_dropped, dead_lettered, blobs_lost, last_success_ns, "
    "COALESCE(f.records_filtered, 0) "
    "FROM streams LEFT JOIN stream_filtered f ON f.stream_id = streams.id "
    "ORDER BY tenant, content_type";
// The same for a database of schema version 3 or older (read without migrating it: `o365fwd
// status` reads a state directory the daemon of a newer version has not opened yet).
constexpr const char* kAllStreamsSqlV3 =
    "SELECT tenant, content_type, watermark_ns, blobs_done, events_forwarded, "
    "duplicates_dropped, dead_lettered, blobs_lost, last_success_ns, 0 "
    "FROM streams ORDER BY tenant, content_type";

// Appends every row of kAllStreamsSql to `out`; returns the last step's code (SQLITE_DONE when
// every row was read).
int readAllStreams(const Stmt& stmt, std::vector<StreamCounters>& out) {
  Call call(stmt);
  int rc;
  while ((rc = call.step()) == SQLITE_ROW) {
    StreamCounters& c = out.emplace_back();
    c.stream = StreamKey{call.text(0), call.text(1)};
    if (!call.isNull(2)) c.watermark = fromNs(call.i64(2));
    c.blobs_done = asUnsigned(call.i64(3));
    c.events_forwarded = asUnsigned(call.i64(4));
    c.duplicates_dropped = asUnsigned(call.i64(5));
    c.dead_lettered = asUnsigned(call.i64(6));
    c.blobs_lost = asUnsigned(call.i64(7));
    if (!call.isNull(8)) c.last_success = fromNs(call.i64(8));
    c.records_filtered = asUnsigned(call.i64(9));
  }
  return rc;
}

bool keyLess(const RecordKey& a, const RecordKey& b) {  // the order of seen_keys' primary key
  return asSigned(a.hi) != asSigned(b.hi) ? asSigned(a.hi) < asSigned(b.hi)
                                          : asSigned(a.lo) < asSigned(b.lo);
}

struct RecentKey {
  RecordKey key;
  std::int64_t seen_at_s;
};
bool recentLess(const RecentKey& a, const RecentKey& b) {
  return keyLess(a.key, b.key);
}

// The de-duplication set has two tiers (docs/STATE.md): seen_keys, a B-tree keyed by the record
// key, and recent_keys, an append-only table of the keys committed since the last merge, mirrored
// exactly in memory. commit() appends (a few sequential pages instead of one random page per
// key); a merge moves the recent keys into seen_keys in key order, a sixteenth of them per
// transaction, a step after each commit and completely before each prune.
class SqliteStateStore final : public StateStore {
 public:
  SqliteStateStore(fs::path dir, SqliteStateStoreOptions options, int lock_fd)
      : db_path_(dir / "state.db"),
        options_(std::move(options)),
        lock_fd_(lock_fd),
        log_(getLogger("pipeline.state")) {}
  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  // Opens the database, applies settings and migrations, prepares statements, loads recent keys.
  Status open();

  Result<std::optional<WallTime>> watermark(const StreamKey& stream) override;
  Result<std::vector<bool>> blobsDone(const StreamKey& stream,
                                      const std::vector<std::string>& content_ids) override;
  Result<std::vector<bool>> keysSeen(const std::vector<RecordKey>& keys) override;
  Status commit(const std::vector<BlobCommit>& blobs,
                const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                const std::vector<SinkPosition>& positions, WallTime now) override;
  Result<std::vector<SinkPosition>> sinkPositions() override;
  Status recordLostBlob(const ContentRef& content, std::string_view reason) override;
  Result<int> recordBlobFailure(const ContentRef& content, std::string_view reason) override;
  Status prune(WallTime now, std::chrono::milliseconds dedup_window) override;
  Result<std::vector<StreamCounters>> counters() override;
  Result<SweepRecord> sweepRecord(const StreamKey& stream) override;
  Status recordSweep(const StreamKey& stream, WallTime started) override;
  Status setSweepFloor(const StreamKey& stream, WallTime floor) override;

 private:
  struct Statements {
    Stmt begin_read, begin_write, commit, find_stream, insert_stream, get_watermark;
    Stmt blob_done, insert_done_blob, delete_failure, key_seen, append_recent, load_recent;
    Stmt last_recent, upsert_key, drop_merged, advance_watermark, add_counters;
    Stmt upsert_failure, failure_attempts, insert_lost, count_lost, all_streams;
    Stmt prune_done, prune_failures, prune_lost, prune_keys;
    Stmt upsert_position, all_positions, add_filtered;
    Stmt append_recent_many;  // kKeysPerAppend rows
  };

  // Holds mu_ for one call. Counts the caller as waiting until it has it, so long operations can
  // let waiting calls in between two of their transactions.
  class Serialized {
   public:
    explicit Serialized(SqliteStateStore& s) : s_(s) { acquire(); }
    ~Serialized() { s_.mu_.unlock(); }
    Serialized(const Serialized&) = delete;
    Serialized& operator=(const Serialized&) = delete;
    void yieldToWaiters() {
      s_.mu_.unlock();
      while (s_.waiters_.load() > 0) std::this_thread::yield();
      acquire();
    }

   private:
    void acquire() {
      ++s_.waiters_;
      s_.mu_.lock();
      --s_.waiters_;
    }
    SqliteStateStore& s_;
  };

  // The recent keys being moved into seen_keys: the rows of recent_keys up to last_rowid.
  struct Merge {
    bool active = false;
    std::int64_t last_rowid = 0;
    std::uint64_t rows = 0;
    std::size_t next = 0;         // keys before it are in seen_keys; at the end, drop the rows
    std::vector<RecentKey> keys;  // sorted; they answer keysSeen until the merge is done
  };

  Error dbError(int rc, std::string_view doing) const {
    return sqliteError(rc, sqlite3_errmsg(db_), db_path_, doing);
  }
  Status exec(const char* sql, std::string_view doing);
  Result<std::optional<std::string>> queryOne(const char* sql, std::string_view doing);
  Status migrate();
  Status prepareStatements();
  Status loadRecentKeys();
  // Runs `body` in one transaction: commits when it succeeds, rolls back when anything fails.
  template <typename T, typename F>
  Result<T> transact(bool write, std::string_view doing, F&& body);
  void abandon();
  Status faultAt(std::string_view point) const;
  Result<std::optional<std::int64_t>> findStream(const StreamKey& stream);
  Result<std::int64_t> streamIdForWrite(const StreamKey& stream);
  Status writeCommit(const std::vector<BlobCommit>& blobs, const std::vector<RecordKey>& keys,
                     const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                     const std::vector<SinkPosition>& positions, WallTime now);
  bool inRecent(const RecordKey& key) const;
  void rememberRecent(const RecordKey& key, std::int64_t seen_at_s);
  // Merges about `budget` rows (all of a started merge when `complete`); starts a merge when
  // recent keys reach the threshold (any recent keys when `complete`).
  Status advanceMerge(Serialized& lock, std::uint64_t budget, bool complete);
  Status mergeStep();
  void abortMerge();
  Result<std::uint64_t> pruneInChunks(Serialized& lock, const Stmt& stmt, std::int64_t cutoff,
                                      std::string_view doing);

  const fs::path db_path_;
  const SqliteStateStoreOptions options_;
  const int lock_fd_;
  std::shared_ptr<spdlog::logger> log_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> st_;
  // The sweep record's statements, prepared on first use (keyed by their SQL text, a literal):
  // a fleet's start-up reads and writes it once or twice per stream, 10,000 times at 1,000
  // tenants, and preparing each time was most of that cost. Guarded by mu_.
  std::map<const char*, Stmt> sweep_stmts_;
  Result<const Stmt*> sweepStatement(const char* sql, std::string_view doing);
  // Sweep columns set since the last transaction that wrote them (recordSweep, setSweepFloor):
  // written by the next commit() in its transaction, or when the store closes — at a fleet's
  // first start every stream sets both, and 10,000 transactions of their own were half of the
  // store's WAL writes. sweepRecord() answers them at once. Guarded by mu_.
  struct PendingSweep {
    std::optional<std::int64_t> last_sweep_ns;
    std::optional<std::int64_t> floor_ns;
  };
  std::map<StreamKey, PendingSweep> pending_sweeps_;
  Status writePendingSweeps();  // inside a write transaction, under mu_
  std::mutex mu_;
  std::atomic<int> waiters_{0};
  std::map<StreamKey, std::int64_t> stream_ids_;  // rows of streams; cleared on rollback
  // Keys of the recent_keys rows not in merge_, with their latest seen time; and their count.
  RecentKeyTable recent_;
  std::uint64_t recent_rows_ = 0;
  Merge merge_;
};

SqliteStateStore::~SqliteStateStore() {
  if (db_ != nullptr && !pending_sweeps_.empty()) {
    Serialized lock(*this);
    Status s = transact<Unit>(true, "storing sweep records",
                              [&]() -> Status { return writePendingSweeps(); });
    if (!s.ok())
      log_->warn(
          "Could not store {} sweep record(s); those streams sweep again at the next start. "
          "error={}",
          pending_sweeps_.size(), s.error().describe());
  }
  st_.reset();  // statements first: sqlite3_close refuses a connection with live statements
  sweep_stmts_.clear();
  if (db_ != nullptr && sqlite3_close(db_) != SQLITE_OK)
    log_->warn("Closing the state database failed. path={} error={}", db_path_.string(),
               sqlite3_errmsg(db_));
  ::close(lock_fd_);  // releases the flock
}

Status SqliteStateStore::exec(const char* sql, std::string_view doing) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  std::string detail = msg != nullptr ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  if (rc != SQLITE_OK) return sqliteError(rc, detail, db_path_, doing);
  return okStatus();
}

Result<std::optional<std::string>> SqliteStateStore::queryOne(const char* sql,
                                                              std::string_view doing) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return dbError(rc, doing);
  Call call(stmt);
  rc = call.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return dbError(rc, doing);
  return std::optional<std::string>(call.text(0));
}

Status SqliteStateStore::open() {
  // Created here so it is 0600 (SQLite would use 0644); its -wal and -shm files copy its mode.
  int fd = ::open(db_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ioError("cannot open the state database " + db_path_.string(), errno);
  ::close(fd);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
#ifdef SQLITE_OPEN_NOFOLLOW
  flags |= SQLITE_OPEN_NOFOLLOW;
#endif
  int rc = sqlite3_open_v2(db_path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK)
    return db_ != nullptr ? dbError(rc, "opening") : sqliteError(rc, "", db_path_, "opening");
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // The first statement reads the file header: a file that is not a database fails here.
  auto mode = queryOne("PRAGMA journal_mode = WAL", "switching to WAL");
  if (!mode) return mode.error();
  if (!*mode || **mode != "wal")
    return Error::permanent(ErrorKind::kIo, "state database " + db_path_.string() +
                                                " cannot use write-ahead logging (journal mode " +
                                                mode->value_or("?") +
                                                "); state_dir must be on a local file system");
  std::string settings =
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = OFF;"
      "PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = " +
      std::to_string(kJournalSizeLimit) + "; PRAGMA cache_size = -" +
      std::to_string(options_.cache_kib) +
      "; PRAGMA mmap_size = " + std::to_string(options_.mmap_bytes) + ";";
  if (options_.max_page_count > 0)
    settings += "PRAGMA max_page_count = " + std::to_string(options_.max_page_count) + ";";
  if (Status s = exec(settings.c_str(), "applying settings"); !s.ok()) return s;
  if (Status s = migrate(); !s.ok()) return s;
  if (Status s = prepareStatements(); !s.ok()) return s;
  return loadRecentKeys();
}

Status SqliteStateStore::migrate() {
  if (Status s = exec("BEGIN IMMEDIATE", "reading the schema"); !s.ok()) return s;
  auto fail = [this](Error e) -> Status {
    abandon();
    return e;
  };
  auto app_id = queryOne("PRAGMA application_id", "reading the schema");
  auto has_meta =
      queryOne("SELECT count(*) FROM sqlite_master WHERE name = 'meta'", "reading the schema");
  auto tables = queryOne("SELECT count(*) FROM sqlite_master", "reading the schema");
  if (!app_id) return fail(app_id.error());
  if (!has_meta) return fail(has_meta.error());
  if (!tables) return fail(tables.error());
  bool ours = app_id->value_or("0") == std::to_string(kApplicationId);
  bool empty = tables->value_or("0") == "0";
  if (!empty && (!ours || has_meta->value_or("0") == "0"))
    return fail(Error::permanent(
        ErrorKind::kIo, corruptMessage(db_path_, "it is an SQLite database of another program"),
        "SQLITE_NOTADB"));
  int version = 0;
  if (!empty) {
    auto v = queryOne("SELECT version FROM meta WHERE id = 1", "reading the schema version");
    if (!v) return fail(v.error());
    if (!*v)
      return fail(Error::permanent(ErrorKind::kIo, corruptMessage(db_path_, "no schema version"),
                                   "SQLITE_CORRUPT"));
    version = std::atoi((*v)->c_str());
  }
  if (version > kSchemaVersion)
    return fail(Error::permanent(
        ErrorKind::kIo,
        "state database " + db_path_.string() + " was written by a newer o365fwd (schema version " +
            std::to_string(version) + "; this o365fwd reads up to " +
            std::to_string(kSchemaVersion) +
            "); run the newer o365fwd, or move the file aside to start afresh (duplicates of "
            "records forwarded before are then not removed)"));
  if (version == kSchemaVersion) return exec("COMMIT", "reading the schema");
  for (int v = version; v < kSchemaVersion; ++v)
    if (Status s = exec(kMigrations[v], "migrating the schema"); !s.ok()) return fail(s.error());
  std::string stamp = "UPDATE meta SET version = " + std::to_string(kSchemaVersion) +
                      "; PRAGMA application_id = " + std::to_string(kApplicationId) + "; COMMIT;";
  if (Status s = exec(stamp.c_str(), "migrating the schema"); !s.ok()) return fail(s.error());
  log_->info("State database schema {}. path={} from_version={} to_version={}",
             version == 0 ? "created" : "migrated", db_path_.string(), version, kSchemaVersion);
  return okStatus();
}

Status SqliteStateStore::prepareStatements() {
  auto st = std::make_unique<Statements>();
  const std::string append_many = appendRecentManySql();
  const std::pair<Stmt*, const char*> sql[] = {
      {&st->begin_read, "BEGIN DEFERRED"},
      {&st->begin_write, "BEGIN IMMEDIATE"},
      {&st->commit, "COMMIT"},
      {&st->find_stream, "SELECT id FROM streams WHERE tenant = ?1 AND content_type = ?2"},
      {&st->insert_stream, "INSERT INTO streams (tenant, content_type) VALUES (?1, ?2)"},
      {&st->get_watermark,
       "SELECT watermark_ns FROM streams WHERE tenant = ?1 AND content_type = ?2"},
      {&st->blob_done, "SELECT 1 FROM done_blobs WHERE stream_id = ?1 AND content_id = ?2"},
      {&st->insert_done_blob,
       "INSERT INTO done_blobs (stream_id, content_id, content_created_ns, expiration_ns) "
       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING"},
      {&st->delete_failure, "DELETE FROM blob_failures WHERE stream_id = ?1 AND content_id = ?2"},
      {&st->key_seen, "SELECT 1 FROM seen_keys WHERE key_hi = ?1 AND key_lo = ?2"},
      {&st->append_recent,
       "INSERT INTO recent_keys (key_hi, key_lo, seen_at_s) VALUES (?1, ?2, ?3)"},
      {&st->load_recent, "SELECT key_hi, key_lo, seen_at_s FROM recent_keys"},
      {&st->last_recent, "SELECT coalesce(max(rowid), 0) FROM recent_keys"},
      {&st->upsert_key,
       "INSERT INTO seen_keys (key_hi, key_lo, seen_at_s) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (key_hi, key_lo) DO UPDATE SET seen_at_s = excluded.seen_at_s "
       "WHERE excluded.seen_at_s > seen_at_s"},
      {&st->drop_merged, "DELETE FROM recent_keys WHERE rowid <= ?1"},
      {&st->advance_watermark,
       "UPDATE streams SET watermark_ns = ?2 "
       "WHERE id = ?1 AND (watermark_ns IS NULL OR watermark_ns < ?2)"},
      {&st->add_counters,
       "UPDATE streams SET blobs_done = blobs_done + ?2, events_forwarded = events_forwarded + ?3, "
       "duplicates_dropped = duplicates_dropped + ?4, dead_lettered = dead_lettered + ?5, "
       "last_success_ns = CASE WHEN last_success_ns IS NULL OR last_success_ns < ?6 THEN ?6 "
       "ELSE last_success_ns END WHERE id = ?1"},
      {&st->upsert_failure,
       "INSERT INTO blob_failures (stream_id, content_id, attempts, last_reason, expiration_ns) "
       "VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (stream_id, content_id) DO UPDATE SET "
       "attempts = attempts + 1, last_reason = excluded.last_reason, "
       "expiration_ns = excluded.expiration_ns"},
      {&st->failure_attempts,
       "SELECT attempts FROM blob_failures WHERE stream_id = ?1 AND content_id = ?2"},
      {&st->insert_lost,
       "INSERT INTO lost_blobs (stream_id, content_id, reason, expiration_ns) "
       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING"},
      {&st->count_lost, "UPDATE streams SET blobs_lost = blobs_lost + 1 WHERE id = ?1"},
      {&st->all_streams, kAllStreamsSql},
      {&st->prune_done,
       "DELETE FROM done_blobs WHERE (stream_id, content_id) IN (SELECT stream_id, content_id "
       "FROM done_blobs WHERE expiration_ns < ?1 LIMIT ?2)"},
      {&st->prune_failures,
       "DELETE FROM blob_failures WHERE (stream_id, content_id) IN (SELECT stream_id, content_id "
       "FROM blob_failures WHERE expiration_ns < ?1 LIMIT ?2)"},
      {&st->prune_lost,
       "DELETE FROM lost_blobs WHERE (stream_id, content_id) IN (SELECT stream_id, content_id "
       "FROM lost_blobs WHERE expiration_ns < ?1 LIMIT ?2)"},
      {&st->prune_keys,
       "DELETE FROM seen_keys WHERE (key_hi, key_lo) IN (SELECT key_hi, key_lo "
       "FROM seen_keys WHERE seen_at_s < ?1 LIMIT ?2)"},
      {&st->upsert_position,
       "INSERT INTO sink_positions (sink, position, updated_ns) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (sink) DO UPDATE SET position = excluded.position, "
       "updated_ns = excluded.updated_ns"},
      {&st->all_positions, "SELECT sink, position FROM sink_positions ORDER BY sink"},
      {&st->add_filtered,
       "INSERT INTO stream_filtered (stream_id, records_filtered) VALUES (?1, ?2) "
       "ON CONFLICT (stream_id) DO UPDATE SET "
       "records_filtered = records_filtered + excluded.records_filtered"},
      {&st->append_recent_many, append_many.c_str()},
  };
  for (const auto& [stmt, text] : sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, text, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    *stmt = Stmt(raw);
    if (rc != SQLITE_OK) return dbError(rc, "preparing statements");
  }
  st_ = std::move(st);
  return okStatus();
}

Status SqliteStateStore::loadRecentKeys() {
  return transact<Unit>(false, "loading recent record keys", [&]() -> Status {
    Call call(st_->load_recent);
    int rc;
    while ((rc = call.step()) == SQLITE_ROW) {
      rememberRecent(RecordKey{asUnsigned(call.i64(0)), asUnsigned(call.i64(1))}, call.i64(2));
      ++recent_rows_;
    }
    if (rc != SQLITE_DONE) return dbError(rc, "loading recent record keys");
    return okStatus();
  });
}

template <typename T, typename F>
Result<T> SqliteStateStore::transact(bool write, std::string_view doing, F&& body) {
  if (int rc = Call(write ? st_->begin_write : st_->begin_read).step(); rc != SQLITE_DONE)
    return dbError(rc, doing);
  Result<T> result = body();
  if (result.ok()) {
    int rc = Call(st_->commit).step();
    if (rc == SQLITE_DONE) return result;
    result = dbError(rc, doing);
  }
  abandon();
  return result;
}

void SqliteStateStore::abandon() {
  stream_ids_.clear();  // ids inserted by the abandoned transaction are gone
  if (!sqlite3_get_autocommit(db_) &&
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK)
    log_->warn("Rolling back a state transaction failed. path={} error={}", db_path_.string(),
               sqlite3_errmsg(db_));
}

Status SqliteStateStore::faultAt(std::string_view point) const {
  if (options_.fail_point && options_.fail_point(point))
    return Error::retryableError(
        ErrorKind::kIo, "injected failure at " + std::string(point) + " (test fail point)");
  return okStatus();
}

Result<std::optional<std::int64_t>> SqliteStateStore::findStream(const StreamKey& stream) {
  if (auto it = stream_ids_.find(stream); it != stream_ids_.end())
    return std::optional<std::int64_t>(it->second);
  Call call(st_->find_stream);
  call.bind(1, stream.tenant).bind(2, stream.content_type);
  int rc = call.step();
  if (rc == SQLITE_DONE) return std::optional<std::int64_t>();
  if (rc != SQLITE_ROW) return dbError(rc, "looking up stream " + stream.str());
  stream_ids_.emplace(stream, call.i64(0));
  return std::optional<std::int64_t>(call.i64(0));
}

Result<std::int64_t> SqliteStateStore::streamIdForWrite(const StreamKey& stream) {
  auto found = findStream(stream);
  if (!found) return found.error();
  if (*found) return **found;
  Call call(st_->insert_stream);
  call.bind(1, stream.tenant).bind(2, stream.content_type);
  if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "adding stream " + stream.str());
  std::int64_t id = sqlite3_last_insert_rowid(db_);
  stream_ids_.emplace(stream, id);
  return id;
}

Result<std::optional<WallTime>> SqliteStateStore::watermark(const StreamKey& stream) {
  using Out = std::optional<WallTime>;
  Serialized lock(*this);
  return transact<Out>(false, "reading a watermark", [&]() -> Result<Out> {
    Call call(st_->get_watermark);
    call.bind(1, stream.tenant).bind(2, stream.content_type);
    int rc = call.step();
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && call.isNull(0))) return Out();
    if (rc != SQLITE_ROW) return dbError(rc, "reading the watermark of " + stream.str());
    return Out(fromNs(call.i64(0)));
  });
}

Result<std::vector<bool>> SqliteStateStore::blobsDone(const StreamKey& stream,
                                                      const std::vector<std::string>& content_ids) {
  std::vector<bool> done(content_ids.size(), false);
  if (content_ids.empty()) return done;
  Serialized lock(*this);
  return transact<std::vector<bool>>(false, "looking up done blobs",
                                     [&]() -> Result<std::vector<bool>> {
                                       auto id = findStream(stream);
                                       if (!id) return id.error();
                                       if (!*id) return done;
                                       for (std::size_t i = 0; i < content_ids.size(); ++i) {
                                         Call call(st_->blob_done);
                                         call.bind(1, **id).bind(2, content_ids[i]);
                                         int rc = call.step();
                                         if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                                           return dbError(rc, "looking up done blobs");
                                         done[i] = rc == SQLITE_ROW;
                                       }
                                       return done;
                                     });
}

bool SqliteStateStore::inRecent(const RecordKey& key) const {
  return recent_.contains(key) ||
         std::binary_search(merge_.keys.begin(), merge_.keys.end(), RecentKey{key, 0}, recentLess);
}

void SqliteStateStore::rememberRecent(const RecordKey& key, std::int64_t seen_at_s) {
  recent_.remember(key, seen_at_s);
}

Result<std::vector<bool>> SqliteStateStore::keysSeen(const std::vector<RecordKey>& keys) {
  std::vector<bool> seen(keys.size(), false);
  if (keys.empty()) return seen;
  Serialized lock(*this);
  return transact<std::vector<bool>>(
      false, "looking up record keys", [&]() -> Result<std::vector<bool>> {
        for (std::size_t i = 0; i < keys.size(); ++i) {
          if (inRecent(keys[i])) {
            seen[i] = true;
            continue;
          }
          Call call(st_->key_seen);
          call.bind(1, asSigned(keys[i].hi)).bind(2, asSigned(keys[i].lo));
          int rc = call.step();
          if (rc != SQLITE_ROW && rc != SQLITE_DONE) return dbError(rc, "looking up record keys");
          seen[i] = rc == SQLITE_ROW;
        }
        return seen;
      });
}

Status SqliteStateStore::commit(const std::vector<BlobCommit>& blobs,
                                const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                                const std::vector<SinkPosition>& positions, WallTime now) {
  std::vector<RecordKey> keys;
  for (const BlobCommit& b : blobs) keys.insert(keys.end(), b.keys.begin(), b.keys.end());
  std::sort(keys.begin(), keys.end(), keyLess);
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  Serialized lock(*this);
  if (blobs.empty() && watermarks.empty() && positions.empty() && pending_sweeps_.empty())
    return okStatus();
  Status committed = transact<Unit>(true, "committing", [&]() -> Status {
    if (Status s = writePendingSweeps(); !s.ok()) return s;
    return writeCommit(blobs, keys, watermarks, positions, now);
  });
  if (!committed.ok()) return committed;
  pending_sweeps_.clear();
  for (const RecordKey& k : keys) rememberRecent(k, toSecondsFloor(now));
  recent_rows_ += keys.size();
  // The commit is durable; a failed merge step only delays the merge.
  if (Status merged = advanceMerge(lock, 2 * keys.size(), false); !merged.ok())
    log_->warn("Merging recent record keys failed; the merge starts over later. error={}",
               merged.error().message);
  return okStatus();
}

Status SqliteStateStore::writeCommit(const std::vector<BlobCommit>& blobs,
                                     const std::vector<RecordKey>& keys,
                                     const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                                     const std::vector<SinkPosition>& positions, WallTime now) {
  struct Delta {
    std::int64_t blobs = 0, forwarded = 0, duplicates = 0, dead = 0, filtered = 0;
  };
  std::map<std::int64_t, Delta> deltas;
  for (const BlobCommit& b : blobs) {
    auto id = streamIdForWrite(b.content.stream);
    if (!id) return id.error();
    Delta& d = deltas[*id];
    {
      Call call(st_->insert_done_blob);
      call.bind(1, *id).bind(2, b.content.content_id).bind(3, toNs(b.content.created));
      call.bind(4, toNs(b.content.expiration));
      if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "marking a blob done");
      d.blobs += sqlite3_changes(db_);
    }
    d.forwarded += asSigned(b.records_forwarded);
    d.duplicates += asSigned(b.duplicates_dropped);
    d.dead += asSigned(b.dead_lettered);
    d.filtered += asSigned(b.records_filtered);
    Call call(st_->delete_failure);
    call.bind(1, *id).bind(2, b.content.content_id);
    if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "clearing blob failures");
  }
  if (Status s = faultAt("commit:after_blobs"); !s.ok()) return s;
  const std::int64_t seen_at = toSecondsFloor(now);
  std::size_t next = 0;  // keys in key order, so rowids too, as one row per statement did
  for (; keys.size() - next >= kKeysPerAppend; next += kKeysPerAppend) {
    Call call(st_->append_recent_many);
    for (std::size_t i = 0; i < kKeysPerAppend; ++i) {
      const RecordKey& k = keys[next + i];
      const int at = static_cast<int>(2 * i);
      call.bind(at + 1, asSigned(k.hi)).bind(at + 2, asSigned(k.lo));
    }
    call.bind(static_cast<int>(2 * kKeysPerAppend + 1), seen_at);
    if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "recording record keys");
  }
  for (; next < keys.size(); ++next) {
    const RecordKey& k = keys[next];
    Call call(st_->append_recent);
    call.bind(1, asSigned(k.hi)).bind(2, asSigned(k.lo)).bind(3, seen_at);
    if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "recording record keys");
  }
  if (Status s = faultAt("commit:after_keys"); !s.ok()) return s;
  for (const auto& [stream, at] : watermarks) {
    auto id = streamIdForWrite(stream);
    if (!id) return id.error();
    deltas[*id];
    Call call(st_->advance_watermark);
    call.bind(1, *id).bind(2, toNs(at));
    if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "setting a watermark");
    if (sqlite3_changes(db_) == 0)
      log_->debug("Kept the stored watermark: the new one is not later. stream={} ignored={}",
                  stream.str(), formatIsoMillis(at));
  }
  for (const auto& [id, d] : deltas) {
    Call call(st_->add_counters);
    call.bind(1, id).bind(2, d.blobs).bind(3, d.forwarded).bind(4, d.duplicates);
    call.bind(5, d.dead).bind(6, toNs(now));
    if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "adding stream counters");
    if (d.filtered == 0) continue;
    Call add(st_->add_filtered);
    add.bind(1, id).bind(2, d.filtered);
    if (int rc = add.step(); rc != SQLITE_DONE) return dbError(rc, "adding stream counters");
  }
  for (const SinkPosition& p : positions) {
    Call call(st_->upsert_position);
    call.bind(1, p.sink).bind(2, p.position).bind(3, toNs(now));
    if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "recording a sink position");
  }
  return faultAt("commit:before_commit");
}

Result<std::vector<SinkPosition>> SqliteStateStore::sinkPositions() {
  using Out = std::vector<SinkPosition>;
  Serialized lock(*this);
  return transact<Out>(false, "reading sink positions", [&]() -> Result<Out> {
    Out out;
    Call call(st_->all_positions);
    int rc;
    while ((rc = call.step()) == SQLITE_ROW) out.push_back({call.text(0), call.text(1)});
    if (rc != SQLITE_DONE) return dbError(rc, "reading sink positions");
    return out;
  });
}

Status SqliteStateStore::advanceMerge(Serialized& lock, std::uint64_t budget, bool complete) {
  if (!merge_.active) {
    if (recent_rows_ == 0 || (!complete && recent_rows_ < options_.merge_threshold_keys))
      return okStatus();
    auto last = transact<std::int64_t>(false, "merging record keys", [&]() -> Result<std::int64_t> {
      Call call(st_->last_recent);
      if (int rc = call.step(); rc != SQLITE_ROW) return dbError(rc, "merging record keys");
      return call.i64(0);
    });
    if (!last) return last.error();
    merge_.active = true;
    merge_.last_rowid = *last;
    merge_.rows = recent_rows_;
    merge_.next = 0;
    merge_.keys.clear();
    merge_.keys.reserve(recent_.size());
    recent_.forEach([this](const RecentKeyTable::Entry& e) {
      merge_.keys.push_back({e.key, e.seen_at_s});
    });
    std::sort(merge_.keys.begin(), merge_.keys.end(), recentLess);
    recent_.clear();
    recent_rows_ = 0;
  }
  for (std::uint64_t done = 0;;) {
    if (Status s = mergeStep(); !s.ok()) {
      abortMerge();
      return s;
    }
    done += merge_.keys.size() / kMergeChunks + 1;
    if (!merge_.active || (!complete && done >= budget)) return okStatus();
    lock.yieldToWaiters();  // another call may have finished the merge meanwhile
    if (!merge_.active) return okStatus();
  }
}

Status SqliteStateStore::mergeStep() {
  if (merge_.next == merge_.keys.size()) {
    Status s = transact<Unit>(true, "merging record keys", [&]() -> Status {
      Call call(st_->drop_merged);
      call.bind(1, merge_.last_rowid);
      if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "merging record keys");
      return okStatus();
    });
    if (s.ok()) merge_ = Merge{};
    return s;
  }
  const std::size_t end =
      std::min(merge_.keys.size(), merge_.next + merge_.keys.size() / kMergeChunks + 1);
  Status s = transact<Unit>(true, "merging record keys", [&]() -> Status {
    for (std::size_t i = merge_.next; i < end; ++i) {
      const RecentKey& k = merge_.keys[i];
      Call call(st_->upsert_key);
      call.bind(1, asSigned(k.key.hi)).bind(2, asSigned(k.key.lo)).bind(3, k.seen_at_s);
      if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, "merging record keys");
    }
    return faultAt("merge:chunk");
  });
  if (s.ok()) merge_.next = end;
  return s;
}

void SqliteStateStore::abortMerge() {
  // Its rows stay in recent_keys and are merged again later (merging twice changes nothing).
  for (const RecentKey& k : merge_.keys) rememberRecent(k.key, k.seen_at_s);
  recent_rows_ += merge_.rows;
  merge_ = Merge{};
}

Status SqliteStateStore::recordLostBlob(const ContentRef& content, std::string_view reason) {
  Serialized lock(*this);
  return transact<Unit>(true, "recording a lost blob", [&]() -> Status {
    auto id = streamIdForWrite(content.stream);
    if (!id) return id.error();
    const std::string clean = redactSecrets(reason);  // no token is ever stored
    Call insert(st_->insert_lost);
    insert.bind(1, *id).bind(2, content.content_id).bind(3, truncateUtf8(clean, kMaxReasonBytes));
    insert.bind(4, toNs(content.expiration));
    if (int rc = insert.step(); rc != SQLITE_DONE) return dbError(rc, "recording a lost blob");
    if (sqlite3_changes(db_) == 0) return okStatus();  // already counted
    Call count(st_->count_lost);
    count.bind(1, *id);
    if (int rc = count.step(); rc != SQLITE_DONE) return dbError(rc, "counting a lost blob");
    return okStatus();
  });
}

Result<int> SqliteStateStore::recordBlobFailure(const ContentRef& content,
                                                std::string_view reason) {
  Serialized lock(*this);
  return transact<int>(true, "recording a blob failure", [&]() -> Result<int> {
    auto id = streamIdForWrite(content.stream);
    if (!id) return id.error();
    {
      const std::string clean = redactSecrets(reason);  // no token is ever stored
      Call upsert(st_->upsert_failure);
      upsert.bind(1, *id).bind(2, content.content_id);
      upsert.bind(3, truncateUtf8(clean, kMaxReasonBytes)).bind(4, toNs(content.expiration));
      if (int rc = upsert.step(); rc != SQLITE_DONE) return dbError(rc, "recording a blob failure");
    }
    Call read(st_->failure_attempts);
    read.bind(1, *id).bind(2, content.content_id);
    if (int rc = read.step(); rc != SQLITE_ROW) return dbError(rc, "reading blob failures");
    return static_cast<int>(read.i64(0));
  });
}

Result<std::uint64_t> SqliteStateStore::pruneInChunks(Serialized& lock, const Stmt& stmt,
                                                      std::int64_t cutoff, std::string_view doing) {
  const auto chunk = static_cast<std::int64_t>(std::max<std::size_t>(1, options_.prune_chunk_rows));
  for (std::uint64_t total = 0;;) {
    auto removed = transact<std::int64_t>(true, doing, [&]() -> Result<std::int64_t> {
      Call call(stmt);
      call.bind(1, cutoff).bind(2, chunk);
      if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, doing);
      return static_cast<std::int64_t>(sqlite3_changes(db_));
    });
    if (!removed) return removed.error();
    total += static_cast<std::uint64_t>(*removed);
    if (*removed < chunk) return total;
    lock.yieldToWaiters();
  }
}

Status SqliteStateStore::prune(WallTime now, std::chrono::milliseconds dedup_window) {
  Serialized lock(*this);
  // Everything recent goes to seen_keys first, where keys are pruned by age: finish a merge in
  // progress, then merge what is left.
  for (int round = 0; round < 2; ++round)
    if (Status s = advanceMerge(lock, 0, true); !s.ok()) return s;
  auto blobs = pruneInChunks(lock, st_->prune_done, toNs(now), "pruning done blobs");
  if (!blobs) return blobs.error();
  auto failures = pruneInChunks(lock, st_->prune_failures, toNs(now), "pruning blob failures");
  if (!failures) return failures.error();
  auto lost =
      pruneInChunks(lock, st_->prune_lost, toNs(now - kLostBlobMemory), "pruning lost blobs");
  if (!lost) return lost.error();
  // Seen times are whole seconds rounded down, so floor(seen) < floor(cutoff) implies
  // seen < cutoff: a key is never removed before its window has passed.
  auto keys = pruneInChunks(lock, st_->prune_keys, toSecondsFloor(now - dedup_window),
                            "pruning record keys");
  if (!keys) return keys.error();
  // Copies the WAL into the database and truncates it, so no large WAL stays behind.
  if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) !=
      SQLITE_OK)
    log_->warn(
        "State database checkpoint failed; it is retried after the next prune. path={} "
        "error={}",
        db_path_.string(), sqlite3_errmsg(db_));
  if (*blobs + *failures + *lost + *keys > 0)
    log_->info("Pruned the state. done_blobs={} blob_failures={} lost_blobs={} record_keys={}",
               *blobs, *failures, *lost, *keys);
  return okStatus();
}

Result<std::vector<StreamCounters>> SqliteStateStore::counters() {
  using Out = std::vector<StreamCounters>;
  Serialized lock(*this);
  return transact<Out>(false, "reading stream counters", [&]() -> Result<Out> {
    Out out;
    if (int rc = readAllStreams(st_->all_streams, out); rc != SQLITE_DONE)
      return dbError(rc, "reading stream counters");
    return out;
  });
}

}  // namespace

Result<std::unique_ptr<StateStore>> openSqliteStateStore(const fs::path& state_dir,
                                                         const SqliteStateStoreOptions& options) {
  if (Status s = makeStateDir(state_dir); !s.ok()) return s.error();
  auto lock_fd = lockStateDir(state_dir);
  if (!lock_fd) return lock_fd.error();
  auto store = std::make_unique<SqliteStateStore>(state_dir, options, *lock_fd);
  if (Status s = store->open(); !s.ok()) return s.error();
  getLogger("pipeline.state")
      ->info("State store opened. path={}", (state_dir / "state.db").string());
  return std::unique_ptr<StateStore>(std::move(store));
}

Result<std::unique_ptr<StateStore>> openSqliteStateStore(const fs::path& state_dir) {
  return openSqliteStateStore(state_dir, SqliteStateStoreOptions{});
}

Result<std::vector<StreamCounters>> readStateCounters(const fs::path& state_dir) {
  const fs::path path = state_dir / "state.db";
  std::error_code ec;
  if (!fs::exists(path, ec))
    return Error::permanent(ErrorKind::kIo,
                            "no state database at " + path.string() +
                                ": o365fwd has not collected anything with this state_dir yet");
  sqlite3* db = nullptr;
  // Read-only and without the directory lock: a running daemon holds it, and WAL readers never
  // block its writer.
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::vector<StreamCounters> out;
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* raw = nullptr;
    rc = sqlite3_prepare_v2(db, kAllStreamsSql, -1, &raw, nullptr);
    if (rc != SQLITE_OK)  // schema version 3 or older: no stream_filtered table yet
      rc = sqlite3_prepare_v2(db, kAllStreamsSqlV3, -1, &raw, nullptr);
    Stmt stmt(raw);
    if (rc == SQLITE_OK) rc = readAllStreams(stmt, out);
  }
  Result<std::vector<StreamCounters>> result = std::move(out);
  if (rc != SQLITE_DONE)
    result = sqliteError(rc, sqlite3_errmsg(db), path, "reading stream counters");
  sqlite3_close(db);
  return result;
}

Status setSchemaVersionForTesting(const fs::path& state_dir, int version) {
  const fs::path path = state_dir / "state.db";
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_OK) {
    std::string sql = "UPDATE meta SET version = " + std::to_string(version);
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }
  Status result =
      rc == SQLITE_OK
          ? okStatus()
          : Status(sqliteError(rc, sqlite3_errmsg(db), path, "setting the schema version"));
  sqlite3_close(db);
  return result;
}

Status createSchemaForTesting(const fs::path& state_dir, int version, const std::string& sql) {
  if (version < 1 || version > kSchemaVersion)
    return Error::permanent(ErrorKind::kInternal, "no such schema version");
  const fs::path path = state_dir / "state.db";
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::string script = "BEGIN;";
  for (int v = 0; v < version; ++v) script += kMigrations[v];
  script += "UPDATE meta SET version = " + std::to_string(version) +
            "; PRAGMA application_id = " + std::to_string(kApplicationId) + ";" + sql + "COMMIT;";
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, nullptr);
  Status result = rc == SQLITE_OK
                      ? okStatus()
                      : Status(sqliteError(rc, sqlite3_errmsg(db), path, "creating an old schema"));
  sqlite3_close(db);
  return result;
}

// --- Deep sweep (schema version 3) ---------------------------------------------------------
// The statements are prepared once, on first use (sweep_stmts_).
//
// The two sweep columns are not written by transactions of their own: recordSweep() and
// setSweepFloor() note them (pending_sweeps_), and the next commit() writes them in its own
// transaction, durable with it (within the committer's commit_interval); the destructor writes
// what is left. At a fleet's first start every stream sets both: 10,000 transactions of their own
// held the store's lock — which the committer, the de-duplicator and every lister wait for — and
// were half of the store's WAL writes. Nothing is lost by it: a floor is set before its stream's
// first listing, so it is written with (or before) the stream's first watermark — a crash before
// that starts the stream over, and it sets its floor again; a lost sweep time means one more
// sweep.

Result<const Stmt*> SqliteStateStore::sweepStatement(const char* sql, std::string_view doing) {
  Stmt& stmt = sweep_stmts_[sql];
  if (stmt.get() != nullptr) return &stmt;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  stmt = Stmt(raw);
  if (rc != SQLITE_OK) {
    sweep_stmts_.erase(sql);
    return dbError(rc, doing);
  }
  return &stmt;
}

Result<SweepRecord> SqliteStateStore::sweepRecord(const StreamKey& stream) {
  Serialized lock(*this);
  auto stored =
      transact<SweepRecord>(false, "reading the sweep record", [&]() -> Result<SweepRecord> {
        auto stmt = sweepStatement(
            "SELECT w.last_sweep_ns, w.sweep_floor_ns FROM streams s JOIN stream_sweeps w "
            "ON w.stream_id = s.id WHERE s.tenant = ?1 AND s.content_type = ?2",
            "reading the sweep record of " + stream.str());
        if (!stmt) return stmt.error();
        Call call(**stmt);
        call.bind(1, stream.tenant).bind(2, stream.content_type);
        int rc = call.step();
        SweepRecord out;
        if (rc == SQLITE_DONE) return out;
        if (rc != SQLITE_ROW) return dbError(rc, "reading the sweep record of " + stream.str());
        if (!call.isNull(0)) out.last_sweep = fromNs(call.i64(0));
        if (!call.isNull(1)) out.floor = fromNs(call.i64(1));
        return out;
      });
  if (!stored) return stored;
  // What is set and not written yet, by the rules of the statements that will write it.
  auto pending = pending_sweeps_.find(stream);
  if (pending != pending_sweeps_.end()) {
    const PendingSweep& p = pending->second;
    if (p.last_sweep_ns && (!stored->last_sweep || *stored->last_sweep < fromNs(*p.last_sweep_ns)))
      stored->last_sweep = fromNs(*p.last_sweep_ns);
    if (p.floor_ns && !stored->floor) stored->floor = fromNs(*p.floor_ns);
  }
  return stored;
}

Status SqliteStateStore::writePendingSweeps() {
  static constexpr const char* kLastSweep =
      "INSERT INTO stream_sweeps (stream_id, last_sweep_ns) VALUES (?1, ?2) "
      "ON CONFLICT (stream_id) DO UPDATE SET last_sweep_ns = ?2 "
      "WHERE last_sweep_ns IS NULL OR last_sweep_ns < ?2";
  static constexpr const char* kFloor =
      "INSERT INTO stream_sweeps (stream_id, sweep_floor_ns) VALUES (?1, ?2) "
      "ON CONFLICT (stream_id) DO UPDATE SET sweep_floor_ns = ?2 WHERE sweep_floor_ns IS NULL";
  for (const auto& [stream, p] : pending_sweeps_) {
    auto id = streamIdForWrite(stream);
    if (!id) return id.error();
    for (auto [sql, value, doing] :
         {std::tuple{kFloor, p.floor_ns, "recording the sweep floor"},
          std::tuple{kLastSweep, p.last_sweep_ns, "recording a sweep"}}) {
      if (!value) continue;
      auto stmt = sweepStatement(sql, doing);
      if (!stmt) return stmt.error();
      Call call(**stmt);
      call.bind(1, *id).bind(2, *value);
      if (int rc = call.step(); rc != SQLITE_DONE) return dbError(rc, doing);
    }
  }
  return okStatus();
}

Status SqliteStateStore::recordSweep(const StreamKey& stream, WallTime started) {
  Serialized lock(*this);
  std::optional<std::int64_t>& last = pending_sweeps_[stream].last_sweep_ns;
  last = std::max(last.value_or(INT64_MIN), toNs(started));
  return okStatus();
}

Status SqliteStateStore::setSweepFloor(const StreamKey& stream, WallTime floor) {
  Serialized lock(*this);
  std::optional<std::int64_t>& first = pending_sweeps_[stream].floor_ns;
  if (!first) first = toNs(floor);
  return okStatus();
}

}  // namespace o365fwd
