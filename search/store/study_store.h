#pragma once

// A study on disk: one SQLite database that survives a crash of the process that writes it.
//
// Every state change of a trial is a row update plus one appended event, committed together, so
// the trials table is always the fold of the event log. A commit is durable when it returns
// (WAL journal, synchronous=FULL): a coordinator killed right after a commit finds the change on
// reopen, and one killed mid-batch finds none of the batch.
//
// Format (schema version 1; migrations are append-only, see study_store.cc and search/README.md):
//   PRAGMA application_id = kStudyStoreApplicationId; journal_mode = WAL.
//   schema_version(version INTEGER, applied TEXT)     one row per migration applied
//   study(id = 1, config TEXT, created REAL)          the config as given to create(), patched
//   trials(number INTEGER PRIMARY KEY, params TEXT, state INTEGER, value REAL NULL, metrics TEXT,
//          message TEXT, attempts INTEGER, worker TEXT, created REAL, started REAL,
//          finished REAL, heartbeat REAL, deadline REAL, progress TEXT)
//   events(id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL, kind TEXT, trial INTEGER NULL,
//          detail TEXT)
// JSON columns hold JSON text; times are unix seconds (0 = not yet); state is StoredState.

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace autoaug::search {

// PRAGMA application_id of every study database ("AAst"): tells a study from any other SQLite
// file. Never changes.
inline constexpr std::int32_t kStudyStoreApplicationId = 0x41417374;

// The schema version this build writes; open() refuses a database with a newer one.
inline constexpr int kStudyStoreSchemaVersion = 1;

// States as stored. Explicit values: they are in the database and never renumbered.
enum class StoredState : int { kQueued = 0, kRunning = 1, kComplete = 2, kFailed = 3 };

// "queued", "running", "complete" or "failed" ("unknown" for a value outside the enum).
const char* stored_state_name(StoredState s);

// One row of the trials table.
struct StoredTrial {
  int number = -1;
  nlohmann::json params;  // parameters by name (Space::to_params form)
  StoredState state = StoredState::kQueued;
  double value =
      std::numeric_limits<double>::quiet_NaN();  // study's direction; NaN unless complete
  nlohmann::json metrics = nlohmann::json::object();
  std::string message;                            // why it failed / last requeue reason
  int attempts = 0;                               // leases granted so far
  std::string worker;                             // last worker it was leased to
  double created = 0, started = 0, finished = 0;  // unix seconds, 0 = not yet
  // Kept while running so that a restarted coordinator can tell live leases from dead ones;
  // reset to 0 (progress to null) when the trial is queued again.
  double heartbeat = 0;     // last lease or heartbeat, unix seconds
  double deadline = 0;      // lease deadline given to lease(), unix seconds
  nlohmann::json progress;  // last heartbeat's progress (null before the first)
};

// One row of the append-only event log.
struct StoredEvent {
  std::int64_t id = 0;
  double time = 0;  // unix seconds
  // Trial events: "asked", "leased", "heartbeat", "completed", "failed", "requeued". Study
  // events: "study" (created, config updated, migrated) or any kind given to StudyStore::log.
  std::string kind;
  int trial = -1;  // -1 for study-level events
  nlohmann::json detail = nlohmann::json::object();
};

// The durable record of one study. Not thread-safe: one owner thread per object. Several
// processes may open the same file (WAL mode, 5 s busy timeout): one writer and any number of
// read-only readers, which see every committed change and never block the writer.
//
// Errors: a bad argument or an invalid transition throws std::invalid_argument and changes
// nothing; a corrupt file throws std::invalid_argument naming the path (on open and on any later
// read); a mutation of a read-only store or a batch call out of order throws std::logic_error;
// any other SQLite failure (disk full, I/O error, lock timeout) throws std::runtime_error naming
// the path, and the failed mutation leaves no trace (inside a batch: see begin_batch).
class StudyStore {
 public:
  // Creates the database file `path` holding `config` (a JSON object: space, strategy, seed,
  // direction, objective...) and logs a "study" event. The file must not exist (an existing one
  // is never touched) and its directory must exist; otherwise std::invalid_argument naming the
  // path. A failed create removes the file it made.
  static StudyStore create(const std::string& path, const nlohmann::json& config);

  // Opens an existing study; never creates one. Throws std::invalid_argument naming the path and
  // the reason for a missing file, a file that is not a SQLite database, a truncated or corrupt
  // one (PRAGMA quick_check, which reads the whole file once), a SQLite database that is not a
  // study (application_id), or a schema version newer than this build knows. A read-write open
  // applies pending migrations in one transaction (and logs a "study" event); a read-only open
  // (SQLITE_OPEN_READONLY, e.g. `study show` while a coordinator writes) refuses a database that
  // needs one.
  static StudyStore open(const std::string& path, bool read_only = false);

  // A moved-from store may only be destroyed or assigned to.
  StudyStore(StudyStore&&) noexcept;
  StudyStore& operator=(StudyStore&&) noexcept;
  // Rolls back an open batch (it was never durable) and closes the database.
  ~StudyStore();

  const std::string& path() const;
  bool read_only() const;

  // The stored config, as of the last commit (or with this store's open batch).
  nlohmann::json config() const;
  // Applies `patch` as a JSON merge patch (RFC 7386) to the stored config and logs a "study"
  // event with the patch. Throws std::invalid_argument if the result is not a JSON object.
  void update_config(const nlohmann::json& patch);

  // Every trial, in number order.
  std::vector<StoredTrial> trials() const;
  // Trial `number`, or nullopt when there is none.
  std::optional<StoredTrial> trial(int number) const;
  // The last `limit` events, oldest first; every event when `limit` is negative.
  std::vector<StoredEvent> events(int limit) const;
  // Number of trials in each state; every state is a key (0 when none).
  std::map<StoredState, int> counts() const;

  // Group commit. Between begin_batch and commit_batch every mutation joins one transaction,
  // which costs one fsync at commit_batch instead of one per mutation; a crash or rollback_batch
  // before commit_batch discards them all. Inside a batch, an invalid mutation (the
  // std::invalid_argument cases) changes nothing and the batch goes on; a mutation that fails
  // while writing (std::runtime_error: disk full, I/O error) rolls back the whole batch, after
  // which in_batch() is false. begin_batch inside a batch, or commit/rollback outside one, throws
  // std::logic_error. Other readers see a batch only after commit_batch.
  void begin_batch();
  void commit_batch();
  void rollback_batch();
  bool in_batch() const;

  // Mutations: each is one durable transaction unless a batch is open, and appends one event.
  // Numbers are chosen by the caller (the study's ask order), so they match the in-memory study.

  // A new queued trial; event "asked" {params}. `number` must be >= 0 and unused, `params` a
  // JSON object.
  void add_trial(int number, const nlohmann::json& params);
  // Queued -> running for `worker` until `deadline` (unix seconds): attempts + 1, started and
  // heartbeat = now, progress = null; event "leased" {worker, attempt, deadline}.
  void lease(int number, const std::string& worker, double deadline);
  // A running trial's worker reports progress: heartbeat = now, progress stored; event
  // "heartbeat" {worker, progress}. Throws if the trial is not running or leased to another
  // worker (a stale worker whose lease was given away).
  void heartbeat(int number, const std::string& worker, const nlohmann::json& progress);
  // Queued or running -> complete with a finite `value` and `metrics` (a JSON object),
  // finished = now; event "completed" {value}. A non-finite value throws: record it with fail().
  void complete(int number, double value, const nlohmann::json& metrics);
  // Queued or running -> failed with `message`, finished = now; event "failed" {message}.
  void fail(int number, const std::string& message);
  // Running -> queued again (lost worker, expired lease): message = reason; started, heartbeat
  // and deadline reset to 0, progress to null; attempts and worker kept. Event "requeued"
  // {reason, worker}.
  void requeue(int number, const std::string& reason);
  // Appends a study-level event (no trial); `kind` must be non-empty.
  void log(const std::string& kind, const nlohmann::json& detail);

 private:
  struct Impl;
  explicit StudyStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Scoped batch: begins one on construction and rolls it back on destruction unless commit() was
// called, so an exception between the two leaves nothing half-written.
class StoreBatch {
 public:
  explicit StoreBatch(StudyStore& store);
  StoreBatch(const StoreBatch&) = delete;
  StoreBatch& operator=(const StoreBatch&) = delete;
  ~StoreBatch();

  // Commits the batch; a second call throws std::logic_error.
  void commit();

 private:
  StudyStore& store_;
  bool done_ = false;
};

}  // namespace autoaug::search
