#include "search/store/study_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace autoaug::search {

namespace {

using nlohmann::json;

// Append-only: migration i brings a database from schema version i to i + 1, inside the same
// transaction as its schema_version row. Never edit or reorder one that has shipped; a change to
// the format is a new entry here (and a new kStudyStoreSchemaVersion).
constexpr const char* kMigrations[] = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE study(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  config TEXT NOT NULL,
  created REAL NOT NULL);
CREATE TABLE trials(
  number INTEGER PRIMARY KEY,
  params TEXT NOT NULL,
  state INTEGER NOT NULL CHECK (state IN (0, 1, 2, 3)),
  value REAL,
  metrics TEXT NOT NULL DEFAULT '{}',
  message TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  worker TEXT NOT NULL DEFAULT '',
  created REAL NOT NULL,
  started REAL NOT NULL DEFAULT 0,
  finished REAL NOT NULL DEFAULT 0,
  heartbeat REAL NOT NULL DEFAULT 0,
  deadline REAL NOT NULL DEFAULT 0,
  progress TEXT NOT NULL DEFAULT 'null');
CREATE INDEX trials_state ON trials(state);
CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time REAL NOT NULL,
  kind TEXT NOT NULL,
  trial INTEGER REFERENCES trials(number),
  detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX events_trial ON events(trial);
)sql",
};
static_assert(std::size(kMigrations) == kStudyStoreSchemaVersion,
              "one migration per schema version");

// Every column of every table the store reads, compiled at open() so that a damaged schema is
// refused there rather than on first use.
constexpr const char* kSchemaProbes[] = {
    "SELECT id, config, created FROM study LIMIT 0",
    ("SELECT number, params, state, value, metrics, message, attempts, worker, created, started, "
     "finished, heartbeat, deadline, progress FROM trials LIMIT 0"),
    "SELECT id, time, kind, trial, detail FROM events LIMIT 0",
};

// A reader opened while the writer commits waits this long for a lock instead of failing.
constexpr int kBusyTimeoutMs = 5000;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Worker messages carry the tail of a command's stderr, which need not be UTF-8; a failure must
// still be recorded, so invalid bytes become U+FFFD instead of throwing.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool is_corruption(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

}  // namespace

struct StudyStore::Impl {
  std::string path;
  sqlite3* db = nullptr;
  bool read_only = false;
  bool in_batch = false;
  // Prepared once, reset after every use, so the hot mutations never re-parse SQL. Keyed by the
  // SQL text: every statement here is a literal in this file.
  std::unordered_map<std::string, sqlite3_stmt*> statements;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (db == nullptr) return;
    if (in_batch) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    for (auto& entry : statements) sqlite3_finalize(entry.second);
    sqlite3_close_v2(db);
  }

  // Corruption is a property of the file the user named, hence invalid_argument like every other
  // bad-file error of open(); anything else (disk full, lock timeout) is an environment failure.
  [[noreturn]] void raise(int rc, const std::string& what) const {
    const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_NOTADB) {
      throw std::invalid_argument(path + ": not a SQLite database (" + detail + ")");
    }
    if ((rc & 0xff) == SQLITE_CORRUPT) {
      throw std::invalid_argument(path + ": corrupt or truncated database (" + detail + ")");
    }
    throw std::runtime_error(path + ": " + what + ": " + detail);
  }

  [[noreturn]] void bad(const std::string& why) const {
    throw std::invalid_argument(path + ": " + why);
  }

  sqlite3_stmt* prepare(const char* sql) {
    auto it = statements.find(sql);
    if (it != statements.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    // The statements are fixed, so one that does not compile means the file's tables are not
    // the study store's (a damaged or hand-edited schema): a bad file, not an environment failure.
    if ((rc & 0xff) == SQLITE_ERROR) {
      bad(std::string("not a study store of this schema (") + sqlite3_errmsg(db) + ")");
    }
    if (rc != SQLITE_OK) raise(rc, std::string("prepare \"") + sql + "\"");
    statements.emplace(sql, stmt);
    return stmt;
  }

  // Runs a script of statements without caching (schema, pragmas).
  void exec(const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (message != nullptr) sqlite3_free(message);
    if (rc != SQLITE_OK) raise(rc, std::string("\"") + sql + "\"");
  }

  void require_writable() const {
    if (read_only) throw std::logic_error(path + ": the study store is open read-only");
  }

  template <class Body>
  void mutate(Body&& body);
  void insert_event(const char* kind, int trial, const json& detail);
  [[noreturn]] void refuse(int number, const char* action, const char* needs);
  int schema_version();
  void migrate(int from);
  StoredTrial read_trial(sqlite3_stmt* stmt);
  json parse(const char* text, const std::string& where) const;
  void configure();
  void open_handle(int flags);

  class Query;
};

// One use of a cached statement: binds in order, steps, reads columns, and resets on scope exit so
// that no statement keeps a read transaction (and a stale snapshot) open between calls.
class StudyStore::Impl::Query {
 public:
  Query(Impl& impl, const char* sql) : impl_(impl), stmt_(impl.prepare(sql)) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  Query& bind(std::int64_t v) { return check(sqlite3_bind_int64(stmt_, ++index_, v)); }
  Query& bind(int v) { return bind(static_cast<std::int64_t>(v)); }
  Query& bind(double v) { return check(sqlite3_bind_double(stmt_, ++index_, v)); }
  Query& bind(const std::string& v) {
    return check(
        sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Query& bind_null() { return check(sqlite3_bind_null(stmt_, ++index_)); }

  // True while there is a row to read; false once the statement is done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    impl_.raise(rc, std::string("\"") + sqlite3_sql(stmt_) + "\"");
  }
  // Steps to the end, for statements whose rows (if any) are not needed.
  void run() {
    while (step()) {
    }
  }

  sqlite3_stmt* stmt() const { return stmt_; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, col));
  }

 private:
  Query& check(int rc) {
    if (rc != SQLITE_OK) impl_.raise(rc, "bind");
    return *this;
  }

  Impl& impl_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

// Outside a batch a mutation is its own IMMEDIATE transaction (the write lock up front, so it
// cannot fail half-way on a lock upgrade). Inside a batch it runs bare: every mutation checks its
// transition before its first write, so an invalid one throws having written nothing and the batch
// goes on. A savepoint per mutation would also undo a failure between two writes, but it (and
// UPDATE ... RETURNING, which materialises a temporary table) allocates and frees memory on every
// call, which measured as a third of the batch-64 throughput; such a failure (disk full, I/O error)
// instead rolls back the whole batch, as SQLite itself often does for those errors.
template <class Body>
void StudyStore::Impl::mutate(Body&& body) {
  require_writable();
  if (in_batch) {
    const std::int64_t before = sqlite3_total_changes64(db);
    try {
      body();
    } catch (...) {
      if (!sqlite3_get_autocommit(db) && sqlite3_total_changes64(db) != before) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      }
      if (sqlite3_get_autocommit(db)) in_batch = false;
      throw;
    }
    return;
  }
  Query(*this, "BEGIN IMMEDIATE").run();
  try {
    body();
    Query(*this, "COMMIT").run();
  } catch (...) {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void StudyStore::Impl::insert_event(const char* kind, int trial, const json& detail) {
  Query q(*this, "INSERT INTO events(time, kind, trial, detail) VALUES (?, ?, ?, ?)");
  q.bind(now_seconds()).bind(std::string(kind));
  if (trial < 0) {
    q.bind_null();
  } else {
    q.bind(trial);
  }
  q.bind(dump(detail.is_null() ? json::object() : detail)).run();
}

// Called when a conditional UPDATE matched no row: says whether the trial is missing or in the
// wrong state. Runs inside the mutation's transaction, so it sees the state the UPDATE saw.
void StudyStore::Impl::refuse(int number, const char* action, const char* needs) {
  Query q(*this, "SELECT state, worker FROM trials WHERE number = ?");
  q.bind(number);
  if (!q.step())
    bad("cannot " + std::string(action) + " trial " + std::to_string(number) + ": no such trial");
  const auto state = static_cast<StoredState>(q.int64(0));
  std::string is = stored_state_name(state);
  if (state == StoredState::kRunning) is += " (leased to \"" + q.text(1) + "\")";
  bad("cannot " + std::string(action) + " trial " + std::to_string(number) + ": it is " + is +
      ", needs " + needs);
}

int StudyStore::Impl::schema_version() {
  {
    Query q(*this,
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
            "name = 'schema_version'");
    if (!q.step() || q.int64(0) == 0) return 0;
  }
  Query q(*this, "SELECT coalesce(max(version), 0) FROM schema_version");
  return q.step() ? static_cast<int>(q.int64(0)) : 0;
}

// Applies migrations from..end; the caller holds the write transaction.
void StudyStore::Impl::migrate(int from) {
  exec(
      "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL, applied TEXT NOT NULL)");
  for (int v = from; v < kStudyStoreSchemaVersion; ++v) {
    exec(kMigrations[v]);
    Query(*this,
          "INSERT INTO schema_version(version, applied) "
          "VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")
        .bind(v + 1)
        .run();
  }
}

json StudyStore::Impl::parse(const char* text, const std::string& where) const {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    bad(where + " is not JSON (" + e.what() + ")");
  }
}

namespace {

constexpr const char* kTrialColumns =
    "number, params, state, value, metrics, message, attempts, worker, created, started, "
    "finished, heartbeat, deadline, progress";

}  // namespace

StoredTrial StudyStore::Impl::read_trial(sqlite3_stmt* s) {
  auto text = [s](int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
    return p == nullptr ? "" : p;
  };
  StoredTrial t;
  t.number = sqlite3_column_int(s, 0);
  const std::string where = "trial " + std::to_string(t.number);
  t.params = parse(text(1), where + " params");
  const int state = sqlite3_column_int(s, 2);
  if (state < 0 || state > 3) bad(where + " has unknown state " + std::to_string(state));
  t.state = static_cast<StoredState>(state);
  if (sqlite3_column_type(s, 3) != SQLITE_NULL) t.value = sqlite3_column_double(s, 3);
  t.metrics = parse(text(4), where + " metrics");
  t.message = text(5);
  t.attempts = sqlite3_column_int(s, 6);
  t.worker = text(7);
  t.created = sqlite3_column_double(s, 8);
  t.started = sqlite3_column_double(s, 9);
  t.finished = sqlite3_column_double(s, 10);
  t.heartbeat = sqlite3_column_double(s, 11);
  t.deadline = sqlite3_column_double(s, 12);
  t.progress = parse(text(13), where + " progress");
  return t;
}

// Connection settings every handle needs. WAL lets `study show` read while the coordinator
// writes; synchronous=FULL makes each commit durable (WAL alone with NORMAL may lose the last
// commits on power loss).
void StudyStore::Impl::configure() {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (!read_only) {
    Query q(*this, "PRAGMA journal_mode = WAL");
    if (!q.step() || q.text(0) != "wal") bad("cannot switch to WAL journal mode");
  }
  exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
}

void StudyStore::Impl::open_handle(int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (is_corruption(rc)) raise(rc, "open");
    throw std::invalid_argument(path + ": cannot open (" + detail + ")");
  }
}

const char* stored_state_name(StoredState s) {
  switch (s) {
    case StoredState::kQueued:
      return "queued";
    case StoredState::kRunning:
      return "running";
    case StoredState::kComplete:
      return "complete";
    case StoredState::kFailed:
      return "failed";
  }
  return "unknown";
}

StudyStore::StudyStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StudyStore::StudyStore(StudyStore&&) noexcept = default;
StudyStore& StudyStore::operator=(StudyStore&&) noexcept = default;
StudyStore::~StudyStore() = default;

StudyStore StudyStore::create(const std::string& path, const json& config) {
  if (!config.is_object()) throw std::invalid_argument(path + ": config must be a JSON object");
  // A leftover WAL would be replayed into the new file as if it were its own history.
  for (const char* suffix : {"-wal", "-journal"}) {
    std::error_code ec;
    if (std::filesystem::exists(path + suffix, ec)) {
      throw std::invalid_argument(path + ": " + path + suffix +
                                  " is left over from an earlier database; remove it first");
    }
  }
  // O_EXCL makes "must not exist" atomic: two creates of one path cannot both succeed, and an
  // existing file (study or not) is never opened for writing.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) throw std::invalid_argument(path + ": already exists");
    throw std::invalid_argument(path + ": cannot create (" + std::strerror(err) + ")");
  }
  ::close(fd);

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  try {
    impl->open_handle(SQLITE_OPEN_READWRITE);
    impl->configure();
    Impl::Query(*impl, "BEGIN IMMEDIATE").run();
    impl->exec(("PRAGMA application_id = " + std::to_string(kStudyStoreApplicationId)).c_str());
    impl->migrate(0);
    Impl::Query(*impl, "INSERT INTO study(id, config, created) VALUES (1, ?, ?)")
        .bind(dump(config))
        .bind(now_seconds())
        .run();
    impl->insert_event("study", -1,
                       {{"action", "created"}, {"schema_version", kStudyStoreSchemaVersion}});
    Impl::Query(*impl, "COMMIT").run();
  } catch (...) {
    impl.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
    throw;
  }
  return StudyStore(std::move(impl));
}

StudyStore StudyStore::open(const std::string& path, bool read_only) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw std::invalid_argument(path + ": no such file");
  if (std::filesystem::is_directory(status)) {
    throw std::invalid_argument(path + ": is a directory, not a study database");
  }

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->read_only = read_only;
  impl->open_handle(read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, kBusyTimeoutMs);

  // Checks before anything writes: a file that fails them is left exactly as it was (in
  // particular a non-study database is never switched to WAL).
  {
    Impl::Query q(*impl, "PRAGMA application_id");
    const std::int64_t id = q.step() ? q.int64(0) : 0;
    if (id == 0) {
      impl->bad(
          "not an autoaug study (no application_id: an empty or cut-short file, or another "
          "program's SQLite database)");
    }
    if (id != kStudyStoreApplicationId) {
      impl->bad("not an autoaug study (SQLite application_id " + std::to_string(id) +
                ", expected " + std::to_string(kStudyStoreApplicationId) + ")");
    }
  }
  {
    Impl::Query q(*impl, "PRAGMA quick_check");
    std::string problems;
    while (q.step()) {
      const std::string row = q.text(0);
      if (row == "ok") continue;
      if (!problems.empty()) problems += "; ";
      problems += row;
    }
    if (!problems.empty()) impl->bad("corrupt or truncated database (" + problems + ")");
  }
  const int version = impl->schema_version();
  if (version == 0) impl->bad("not an autoaug study (no schema_version table)");
  if (version > kStudyStoreSchemaVersion) {
    impl->bad("schema version " + std::to_string(version) + " is newer than this build supports (" +
              std::to_string(kStudyStoreSchemaVersion) + "); use a newer autoaug");
  }
  if (version < kStudyStoreSchemaVersion && read_only) {
    impl->bad("schema version " + std::to_string(version) + " needs migrating to " +
              std::to_string(kStudyStoreSchemaVersion) + "; open it read-write once");
  }

  impl->configure();
  if (version < kStudyStoreSchemaVersion) {
    impl->mutate([&] {
      // Re-read under the write lock: another process may have migrated since the check above.
      const int from = impl->schema_version();
      if (from >= kStudyStoreSchemaVersion) return;
      impl->migrate(from);
      impl->insert_event(
          "study", -1, {{"action", "migrated"}, {"from", from}, {"to", kStudyStoreSchemaVersion}});
    });
  }
  for (const char* probe : kSchemaProbes) Impl::Query(*impl, probe);
  {
    Impl::Query q(*impl, "SELECT count(*) FROM study");
    if (!q.step() || q.int64(0) != 1) impl->bad("corrupt study (no study row)");
  }
  return StudyStore(std::move(impl));
}

const std::string& StudyStore::path() const { return impl_->path; }
bool StudyStore::read_only() const { return impl_->read_only; }

json StudyStore::config() const {
  Impl::Query q(*impl_, "SELECT config FROM study WHERE id = 1");
  if (!q.step()) impl_->bad("corrupt study (no study row)");
  return impl_->parse(reinterpret_cast<const char*>(sqlite3_column_text(q.stmt(), 0)), "config");
}

void StudyStore::update_config(const json& patch) {
  impl_->mutate([&] {
    json merged = config();
    merged.merge_patch(patch);
    if (!merged.is_object()) impl_->bad("update_config: the patched config is not a JSON object");
    Impl::Query(*impl_, "UPDATE study SET config = ? WHERE id = 1").bind(dump(merged)).run();
    impl_->insert_event("study", -1, {{"action", "config"}, {"patch", patch}});
  });
}

std::vector<StoredTrial> StudyStore::trials() const {
  static const std::string sql =
      std::string("SELECT ") + kTrialColumns + " FROM trials ORDER BY number";
  Impl::Query q(*impl_, sql.c_str());
  std::vector<StoredTrial> out;
  while (q.step()) out.push_back(impl_->read_trial(q.stmt()));
  return out;
}

std::optional<StoredTrial> StudyStore::trial(int number) const {
  static const std::string sql =
      std::string("SELECT ") + kTrialColumns + " FROM trials WHERE number = ?";
  Impl::Query q(*impl_, sql.c_str());
  q.bind(number);
  if (!q.step()) return std::nullopt;
  return impl_->read_trial(q.stmt());
}

std::vector<StoredEvent> StudyStore::events(int limit) const {
  Impl::Query q(*impl_,
                "SELECT id, time, kind, trial, detail FROM "
                "(SELECT * FROM events ORDER BY id DESC LIMIT ?) ORDER BY id");
  q.bind(limit < 0 ? -1 : limit);
  std::vector<StoredEvent> out;
  while (q.step()) {
    StoredEvent e;
    e.id = q.int64(0);
    e.time = q.real(1);
    e.kind = q.text(2);
    e.trial = q.is_null(3) ? -1 : static_cast<int>(q.int64(3));
    e.detail = impl_->parse(reinterpret_cast<const char*>(sqlite3_column_text(q.stmt(), 4)),
                            "event " + std::to_string(e.id) + " detail");
    out.push_back(std::move(e));
  }
  return out;
}

std::map<StoredState, int> StudyStore::counts() const {
  std::map<StoredState, int> out;
  for (StoredState s : {StoredState::kQueued, StoredState::kRunning, StoredState::kComplete,
                        StoredState::kFailed}) {
    out[s] = 0;
  }
  Impl::Query q(*impl_, "SELECT state, count(*) FROM trials GROUP BY state");
  while (q.step()) {
    const std::int64_t state = q.int64(0);
    if (state < 0 || state > 3)
      impl_->bad("trials table holds unknown state " + std::to_string(state));
    out[static_cast<StoredState>(state)] = static_cast<int>(q.int64(1));
  }
  return out;
}

void StudyStore::begin_batch() {
  impl_->require_writable();
  if (impl_->in_batch) throw std::logic_error(impl_->path + ": begin_batch inside a batch");
  Impl::Query(*impl_, "BEGIN IMMEDIATE").run();
  impl_->in_batch = true;
}

void StudyStore::commit_batch() {
  if (!impl_->in_batch) throw std::logic_error(impl_->path + ": commit_batch without a batch");
  try {
    Impl::Query(*impl_, "COMMIT").run();
  } catch (...) {
    // Nothing of the batch is durable; do not leave a transaction open that a later call would
    // commit by accident.
    if (!sqlite3_get_autocommit(impl_->db)) {
      sqlite3_exec(impl_->db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    impl_->in_batch = false;
    throw;
  }
  impl_->in_batch = false;
}

void StudyStore::rollback_batch() {
  if (!impl_->in_batch) throw std::logic_error(impl_->path + ": rollback_batch without a batch");
  impl_->in_batch = false;
  if (!sqlite3_get_autocommit(impl_->db)) Impl::Query(*impl_, "ROLLBACK").run();
}

bool StudyStore::in_batch() const { return impl_->in_batch; }

void StudyStore::add_trial(int number, const json& params) {
  if (number < 0) impl_->bad("add_trial: trial number " + std::to_string(number) + " is negative");
  if (!params.is_object())
    impl_->bad("add_trial: params of trial " + std::to_string(number) + " must be a JSON object");
  impl_->mutate([&] {
    {
      Impl::Query q(*impl_, "SELECT 1 FROM trials WHERE number = ?");
      q.bind(number);
      if (q.step()) impl_->bad("add_trial: trial " + std::to_string(number) + " already exists");
    }
    Impl::Query(*impl_, "INSERT INTO trials(number, params, state, created) VALUES (?, ?, 0, ?)")
        .bind(number)
        .bind(dump(params))
        .bind(now_seconds())
        .run();
    impl_->insert_event("asked", number, {{"params", params}});
  });
}

void StudyStore::lease(int number, const std::string& worker, double deadline) {
  impl_->mutate([&] {
    const double now = now_seconds();
    Impl::Query q(*impl_,
                  "UPDATE trials SET state = 1, attempts = attempts + 1, worker = ?, started = ?, "
                  "heartbeat = ?, deadline = ?, progress = 'null' WHERE number = ? AND state = 0");
    q.bind(worker).bind(now).bind(now).bind(deadline).bind(number).run();
    if (sqlite3_changes(impl_->db) != 1) impl_->refuse(number, "lease", "queued");
    Impl::Query a(*impl_, "SELECT attempts FROM trials WHERE number = ?");
    a.bind(number).step();
    const int attempt = static_cast<int>(a.int64(0));
    impl_->insert_event("leased", number,
                        {{"worker", worker}, {"attempt", attempt}, {"deadline", deadline}});
  });
}

void StudyStore::heartbeat(int number, const std::string& worker, const json& progress) {
  impl_->mutate([&] {
    Impl::Query q(
        *impl_,
        "UPDATE trials SET heartbeat = ?, progress = ? WHERE number = ? AND state = 1 AND "
        "worker = ?");
    q.bind(now_seconds()).bind(dump(progress)).bind(number).bind(worker).run();
    if (sqlite3_changes(impl_->db) != 1) {
      impl_->refuse(number, ("heartbeat from \"" + worker + "\" for").c_str(),
                    "running and leased to that worker");
    }
    impl_->insert_event("heartbeat", number, {{"worker", worker}, {"progress", progress}});
  });
}

void StudyStore::complete(int number, double value, const json& metrics) {
  if (!std::isfinite(value)) {
    impl_->bad("complete: trial " + std::to_string(number) + " value " + std::to_string(value) +
               " is not finite; record it with fail()");
  }
  if (!metrics.is_object() && !metrics.is_null()) {
    impl_->bad("complete: metrics of trial " + std::to_string(number) + " must be a JSON object");
  }
  impl_->mutate([&] {
    Impl::Query q(*impl_,
                  "UPDATE trials SET state = 2, value = ?, metrics = ?, finished = ? "
                  "WHERE number = ? AND state IN (0, 1)");
    q.bind(value).bind(dump(metrics.is_null() ? json::object() : metrics)).bind(now_seconds());
    q.bind(number).run();
    if (sqlite3_changes(impl_->db) != 1) impl_->refuse(number, "complete", "queued or running");
    impl_->insert_event("completed", number, {{"value", value}});
  });
}

void StudyStore::fail(int number, const std::string& message) {
  impl_->mutate([&] {
    Impl::Query q(*impl_,
                  "UPDATE trials SET state = 3, message = ?, finished = ? "
                  "WHERE number = ? AND state IN (0, 1)");
    q.bind(message).bind(now_seconds()).bind(number).run();
    if (sqlite3_changes(impl_->db) != 1) impl_->refuse(number, "fail", "queued or running");
    impl_->insert_event("failed", number, {{"message", message}});
  });
}

void StudyStore::requeue(int number, const std::string& reason) {
  impl_->mutate([&] {
    Impl::Query q(
        *impl_,
        "UPDATE trials SET state = 0, message = ?, started = 0, heartbeat = 0, deadline = 0, "
        "progress = 'null' WHERE number = ? AND state = 1");
    q.bind(reason).bind(number).run();
    if (sqlite3_changes(impl_->db) != 1) impl_->refuse(number, "requeue", "running");
    Impl::Query w(*impl_, "SELECT worker FROM trials WHERE number = ?");
    w.bind(number).step();
    const std::string worker = w.text(0);
    impl_->insert_event("requeued", number, {{"reason", reason}, {"worker", worker}});
  });
}

void StudyStore::log(const std::string& kind, const json& detail) {
  if (kind.empty()) impl_->bad("log: event kind is empty");
  impl_->mutate([&] { impl_->insert_event(kind.c_str(), -1, detail); });
}

StoreBatch::StoreBatch(StudyStore& store) : store_(store) { store_.begin_batch(); }

StoreBatch::~StoreBatch() {
  if (done_ || !store_.in_batch()) return;
  try {
    store_.rollback_batch();
  } catch (...) {
    // A destructor must not throw; the open transaction dies with the connection at the latest.
  }
}

void StoreBatch::commit() {
  if (done_) throw std::logic_error(store_.path() + ": StoreBatch committed twice");
  done_ = true;
  store_.commit_batch();
}

}  // namespace autoaug::search
