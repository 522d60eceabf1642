#include "search/store/study_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

namespace autoaug::search {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh directory per test under the system temp dir; the pid and the test name keep parallel
// ctest runs apart.
class StudyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("autoaug_store_test_" + std::to_string(::getpid()) + "_" +
                                        info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name = "study.db") const { return (dir_ / name).string(); }

  static json config() {
    return {{"space", {{"dimensions", json::array({{{"name", "x"}, {"type", "real"}}})}}},
            {"strategy", "rf-random"},
            {"seed", 7},
            {"direction", "minimize"}};
  }

  fs::path dir_;
};

// Everything a reader can observe, for "changed nothing" checks.
std::string snapshot(const StudyStore& store) {
  json j = json::array();
  for (const StoredTrial& t : store.trials()) {
    j.push_back({t.number, t.params, static_cast<int>(t.state),
                 std::isnan(t.value) ? json() : json(t.value), t.metrics, t.message, t.attempts,
                 t.worker, t.started, t.finished, t.heartbeat, t.deadline, t.progress});
  }
  for (const StoredEvent& e : store.events(-1)) j.push_back({e.id, e.kind, e.trial, e.detail});
  j.push_back(store.config());
  return j.dump();
}

// Runs `sql` on `path` with plain SQLite, to forge files this build did not write.
void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// Expects open(path) to throw std::invalid_argument naming the path and containing `reason`.
void expect_open_refused(const std::string& path, const std::string& reason, bool read_only) {
  try {
    StudyStore::open(path, read_only);
    ADD_FAILURE() << path << " opened; expected: " << reason;
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(reason), std::string::npos) << what;
  }
}

TEST(StoredStateTest, Names) {
  EXPECT_STREQ(stored_state_name(StoredState::kQueued), "queued");
  EXPECT_STREQ(stored_state_name(StoredState::kRunning), "running");
  EXPECT_STREQ(stored_state_name(StoredState::kComplete), "complete");
  EXPECT_STREQ(stored_state_name(StoredState::kFailed), "failed");
}

TEST_F(StudyStoreTest, CreateAndOpenRoundTrip) {
  {
    StudyStore store = StudyStore::create(path(), config());
    EXPECT_EQ(store.path(), path());
    store.add_trial(0, {{"x", 0.5}});
    store.add_trial(1, {{"x", -0.25}});
    store.add_trial(2, {{"x", 1.0}});
    store.lease(0, "w0", 1e10);
    store.complete(0, 3.5, {{"loss", 0.1}});
    store.lease(1, "w1", 1e10);
    store.fail(1, "out of memory");
    store.log("paused", {{"by", "user"}});
    store.update_config({{"seed", 8}, {"strategy", nullptr}});
  }
  StudyStore store = StudyStore::open(path());
  json expected = config();
  expected["seed"] = 8;
  expected.erase("strategy");
  EXPECT_EQ(store.config(), expected);

  const auto trials = store.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].number, 0);
  EXPECT_EQ(trials[0].params, json({{"x", 0.5}}));
  EXPECT_EQ(trials[0].state, StoredState::kComplete);
  EXPECT_EQ(trials[0].value, 3.5);
  EXPECT_EQ(trials[0].metrics, json({{"loss", 0.1}}));
  EXPECT_EQ(trials[0].attempts, 1);
  EXPECT_EQ(trials[0].worker, "w0");
  EXPECT_GT(trials[0].created, 1.6e9);
  EXPECT_GE(trials[0].started, trials[0].created);
  EXPECT_GE(trials[0].finished, trials[0].started);
  EXPECT_EQ(trials[1].state, StoredState::kFailed);
  EXPECT_TRUE(std::isnan(trials[1].value));
  EXPECT_EQ(trials[1].message, "out of memory");
  EXPECT_EQ(trials[2].state, StoredState::kQueued);
  EXPECT_EQ(trials[2].started, 0);
  EXPECT_EQ(trials[2].finished, 0);
  EXPECT_EQ(store.trial(2)->params, json({{"x", 1.0}}));
  EXPECT_FALSE(store.trial(3).has_value());

  const auto counts = store.counts();
  EXPECT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts.at(StoredState::kQueued), 1);
  EXPECT_EQ(counts.at(StoredState::kRunning), 0);
  EXPECT_EQ(counts.at(StoredState::kComplete), 1);
  EXPECT_EQ(counts.at(StoredState::kFailed), 1);

  const auto events = store.events(-1);
  std::vector<std::string> kinds;
  for (const auto& e : events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"study", "asked", "asked", "asked", "leased",
                                             "completed", "leased", "failed", "paused", "study"}));
  EXPECT_EQ(events[0].trial, -1);
  EXPECT_EQ(events[4].trial, 0);
  EXPECT_EQ(events[4].detail, json({{"worker", "w0"}, {"attempt", 1}, {"deadline", 1e10}}));
  EXPECT_EQ(events[8].detail, json({{"by", "user"}}));
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].id, events[i - 1].id);
    EXPECT_GE(events[i].time, events[i - 1].time);
  }

  const auto last = store.events(2);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].kind, "paused");
  EXPECT_EQ(last[1].kind, "study");
  EXPECT_TRUE(store.events(0).empty());
}

TEST_F(StudyStoreTest, EveryTransitionAndItsEvent) {
  StudyStore store = StudyStore::create(path(), config());
  store.add_trial(0, {{"x", 1}});

  store.lease(0, "a", 100.0);
  auto t = *store.trial(0);
  EXPECT_EQ(t.state, StoredState::kRunning);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(t.worker, "a");
  EXPECT_EQ(t.deadline, 100.0);
  EXPECT_GT(t.started, 0);
  EXPECT_GE(t.heartbeat, t.started);
  EXPECT_TRUE(t.progress.is_null());

  store.heartbeat(0, "a", {{"epoch", 3}});
  t = *store.trial(0);
  EXPECT_EQ(t.progress, json({{"epoch", 3}}));
  EXPECT_EQ(store.events(1)[0].kind, "heartbeat");
  EXPECT_EQ(store.events(1)[0].detail, json({{"worker", "a"}, {"progress", {{"epoch", 3}}}}));

  store.requeue(0, "lease expired");
  t = *store.trial(0);
  EXPECT_EQ(t.state, StoredState::kQueued);
  EXPECT_EQ(t.message, "lease expired");
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(t.worker, "a");
  EXPECT_EQ(t.started, 0);
  EXPECT_EQ(t.heartbeat, 0);
  EXPECT_TRUE(t.progress.is_null());
  EXPECT_EQ(store.events(1)[0].detail, json({{"reason", "lease expired"}, {"worker", "a"}}));

  store.lease(0, "b", 200.0);
  EXPECT_EQ(store.trial(0)->attempts, 2);
  EXPECT_EQ(store.events(1)[0].detail["attempt"], 2);
  store.complete(0, -1.5, {});
  t = *store.trial(0);
  EXPECT_EQ(t.state, StoredState::kComplete);
  EXPECT_EQ(t.value, -1.5);
  EXPECT_GT(t.finished, 0);
  EXPECT_EQ(store.events(1)[0].kind, "completed");
  EXPECT_EQ(store.events(1)[0].detail, json({{"value", -1.5}}));

  // Queued trials may be completed or failed directly (e.g. a value known without a worker).
  store.add_trial(1, {{"x", 2}});
  store.complete(1, 4.0, {{"cached", true}});
  EXPECT_EQ(store.trial(1)->state, StoredState::kComplete);
  store.add_trial(2, {{"x", 3}});
  store.fail(2, "invalid point");
  EXPECT_EQ(store.trial(2)->state, StoredState::kFailed);
  EXPECT_EQ(store.events(1)[0].detail, json({{"message", "invalid point"}}));
  store.add_trial(3, {{"x", 4}});
  store.lease(3, "c", 300.0);
  store.fail(3, "worker crashed");
  EXPECT_EQ(store.trial(3)->state, StoredState::kFailed);
}

TEST_F(StudyStoreTest, InvalidTransitionsThrowAndChangeNothing) {
  StudyStore store = StudyStore::create(path(), config());
  store.add_trial(0, {{"x", 1}});  // queued
  store.add_trial(1, {{"x", 2}});
  store.lease(1, "w", 10.0);  // running
  store.add_trial(2, {{"x", 3}});
  store.complete(2, 1.0, {});  // complete
  store.add_trial(3, {{"x", 4}});
  store.fail(3, "boom");  // failed

  const std::string before = snapshot(store);
  const double nan = std::nan("");
  const std::vector<std::pair<std::string, std::function<void()>>> invalid = {
      {"add duplicate",
       [&] {
         store.add_trial(0, {{"x", 9}});
       }},
      {"add negative",
       [&] {
         store.add_trial(-1, {{"x", 9}});
       }},
      {"add non-object",
       [&] {
         store.add_trial(9, json::array({1, 2}));
       }},
      {"lease running", [&] { store.lease(1, "v", 1.0); }},
      {"lease complete", [&] { store.lease(2, "v", 1.0); }},
      {"lease failed", [&] { store.lease(3, "v", 1.0); }},
      {"lease unknown", [&] { store.lease(9, "v", 1.0); }},
      {"heartbeat queued", [&] { store.heartbeat(0, "w", {}); }},
      {"heartbeat other worker", [&] { store.heartbeat(1, "v", {}); }},
      {"heartbeat complete", [&] { store.heartbeat(2, "w", {}); }},
      {"heartbeat unknown", [&] { store.heartbeat(9, "w", {}); }},
      {"complete complete", [&] { store.complete(2, 1.0, {}); }},
      {"complete failed", [&] { store.complete(3, 1.0, {}); }},
      {"complete unknown", [&] { store.complete(9, 1.0, {}); }},
      {"complete nan", [&] { store.complete(1, nan, {}); }},
      {"complete inf", [&] { store.complete(1, INFINITY, {}); }},
      {"complete metrics array", [&] { store.complete(1, 1.0, json::array()); }},
      {"fail complete", [&] { store.fail(2, "x"); }},
      {"fail failed", [&] { store.fail(3, "x"); }},
      {"fail unknown", [&] { store.fail(9, "x"); }},
      {"requeue queued", [&] { store.requeue(0, "x"); }},
      {"requeue complete", [&] { store.requeue(2, "x"); }},
      {"requeue failed", [&] { store.requeue(3, "x"); }},
      {"requeue unknown", [&] { store.requeue(9, "x"); }},
      {"log empty kind", [&] { store.log("", {}); }},
      {"config not an object", [&] { store.update_config(5); }},
  };
  // Alone, and inside a batch, which must survive them.
  for (bool batched : {false, true}) {
    if (batched) store.begin_batch();
    for (const auto& [name, call] : invalid) {
      EXPECT_THROW(call(), std::invalid_argument) << name;
      EXPECT_EQ(snapshot(store), before) << name;
      EXPECT_EQ(store.in_batch(), batched) << name;
    }
    if (batched) store.commit_batch();
    EXPECT_EQ(snapshot(store), before);
  }
  // Messages say which trial and why.
  try {
    store.lease(1, "v", 1.0);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("trial 1: it is running (leased to \"w\")"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(StudyStoreTest, BatchCommitMakesAllVisibleAndRollbackDiscards) {
  StudyStore store = StudyStore::create(path(), config());
  StudyStore reader = StudyStore::open(path(), /*read_only=*/true);
  const size_t events_before = reader.events(-1).size();

  store.begin_batch();
  EXPECT_TRUE(store.in_batch());
  for (int i = 0; i < 10; ++i) store.add_trial(i, {{"x", i}});
  for (int i = 0; i < 5; ++i) store.lease(i, "w", 1.0);
  // A failed mutation inside the batch is undone alone; the batch goes on.
  EXPECT_THROW(store.add_trial(3, {{"x", 0}}), std::invalid_argument);
  store.complete(0, 1.0, {});
  EXPECT_EQ(store.trials().size(), 10u);  // the writer sees its own batch
  EXPECT_TRUE(reader.trials().empty());   // others do not, yet
  store.commit_batch();
  EXPECT_FALSE(store.in_batch());
  EXPECT_EQ(reader.trials().size(), 10u);
  EXPECT_EQ(reader.counts().at(StoredState::kRunning), 4);
  EXPECT_EQ(reader.events(-1).size(), events_before + 16);

  const std::string before = snapshot(store);
  store.begin_batch();
  store.add_trial(10, {{"x", 10}});
  store.complete(1, 2.0, {});
  store.log("note", {});
  store.rollback_batch();
  EXPECT_FALSE(store.in_batch());
  EXPECT_EQ(snapshot(store), before);
  EXPECT_EQ(snapshot(reader), before);

  {
    StoreBatch batch(store);
    store.add_trial(10, {{"x", 10}});
  }  // not committed: rolled back
  EXPECT_FALSE(store.trial(10).has_value());
  {
    StoreBatch batch(store);
    store.add_trial(10, {{"x", 10}});
    batch.commit();
    EXPECT_THROW(batch.commit(), std::logic_error);
  }
  EXPECT_TRUE(reader.trial(10).has_value());

  EXPECT_THROW(store.commit_batch(), std::logic_error);
  EXPECT_THROW(store.rollback_batch(), std::logic_error);
  store.begin_batch();
  EXPECT_THROW(store.begin_batch(), std::logic_error);
  store.rollback_batch();
}

TEST_F(StudyStoreTest, DestroyingAStoreRollsBackItsOpenBatch) {
  {
    StudyStore store = StudyStore::create(path(), config());
    store.add_trial(0, {{"x", 0}});
    store.begin_batch();
    store.add_trial(1, {{"x", 1}});
  }
  StudyStore store = StudyStore::open(path());
  EXPECT_EQ(store.trials().size(), 1u);
}

// The child commits, then dies without any cleanup: what commit returned must be on disk, and
// what it had not committed must not be.
TEST_F(StudyStoreTest, CommittedDataSurvivesSigkillOfTheWriter) {
  StudyStore::create(path(), config());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      StudyStore store = StudyStore::open(path());
      store.begin_batch();
      for (int i = 0; i < 50; ++i) store.add_trial(i, {{"x", i}});
      for (int i = 0; i < 20; ++i) store.lease(i, "child", 1e10);
      store.commit_batch();
      store.complete(0, 0.25, {{"epochs", 3}});  // a lone transaction
      store.begin_batch();
      store.add_trial(50, {{"x", 50}});
      store.complete(1, 9.0, {});
      ::kill(::getpid(), SIGKILL);
    } catch (...) {
    }
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  // A reader first: `study show` on a study whose writer died must see the committed state too.
  EXPECT_EQ(StudyStore::open(path(), /*read_only=*/true).trials().size(), 50u);
  StudyStore store = StudyStore::open(path());
  const auto trials = store.trials();
  ASSERT_EQ(trials.size(), 50u);
  EXPECT_EQ(trials[0].state, StoredState::kComplete);
  EXPECT_EQ(trials[0].value, 0.25);
  EXPECT_EQ(trials[1].state, StoredState::kRunning);
  EXPECT_EQ(trials[1].worker, "child");
  EXPECT_EQ(store.counts().at(StoredState::kRunning), 19);
  EXPECT_EQ(store.counts().at(StoredState::kQueued), 30);
  EXPECT_EQ(store.events(1)[0].kind, "completed");
  // The recovered store is writable: the coordinator requeues what the dead worker held.
  store.requeue(1, "coordinator restarted");
  EXPECT_EQ(store.trial(1)->state, StoredState::kQueued);
}

TEST_F(StudyStoreTest, ReadOnlyOpenSeesTheWritersCommits) {
  StudyStore writer = StudyStore::create(path(), config());
  writer.add_trial(0, {{"x", 0}});
  StudyStore reader = StudyStore::open(path(), /*read_only=*/true);
  EXPECT_TRUE(reader.read_only());
  EXPECT_EQ(reader.config(), config());
  EXPECT_EQ(reader.trials().size(), 1u);

  writer.lease(0, "w", 5.0);
  writer.complete(0, 1.25, {{"acc", 0.9}});
  writer.add_trial(1, {{"x", 1}});
  writer.update_config({{"note", "resumed"}});
  EXPECT_EQ(reader.trial(0)->value, 1.25);
  EXPECT_EQ(reader.trials().size(), 2u);
  EXPECT_EQ(reader.config()["note"], "resumed");
  EXPECT_EQ(reader.events(1)[0].kind, "study");

  EXPECT_THROW(reader.add_trial(5, {{"x", 5}}), std::logic_error);
  EXPECT_THROW(reader.begin_batch(), std::logic_error);
  EXPECT_THROW(reader.log("note", {}), std::logic_error);
  EXPECT_EQ(writer.trials().size(), 2u);
}

TEST_F(StudyStoreTest, ReadOnlyOpenAfterTheWriterClosed) {
  { StudyStore::create(path(), config()).add_trial(0, {{"x", 0}}); }
  StudyStore reader = StudyStore::open(path(), /*read_only=*/true);
  EXPECT_EQ(reader.trials().size(), 1u);
}

TEST_F(StudyStoreTest, CreateRefusesAnExistingPath) {
  {
    StudyStore store = StudyStore::create(path(), config());
    store.add_trial(0, {{"x", 0}});
  }
  try {
    StudyStore::create(path(), {{"other", true}});
    ADD_FAILURE() << "create on an existing study succeeded";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(path()), std::string::npos) << e.what();
  }
  StudyStore store = StudyStore::open(path());
  EXPECT_EQ(store.config(), config());
  EXPECT_EQ(store.trials().size(), 1u);

  const std::string text = path("notes.txt");
  std::ofstream(text) << "keep me";
  EXPECT_THROW(StudyStore::create(text, config()), std::invalid_argument);
  std::ifstream in(text);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "keep me");

  EXPECT_THROW(StudyStore::create(path("missing/study.db"), config()), std::invalid_argument);
  EXPECT_THROW(StudyStore::create(path("array.db"), json::array()), std::invalid_argument);
  EXPECT_FALSE(fs::exists(path("array.db")));
}

TEST_F(StudyStoreTest, OpenRefusesAMissingFileAndNeverCreatesOne) {
  for (bool read_only : {false, true}) {
    expect_open_refused(path("absent.db"), "no such file", read_only);
    EXPECT_FALSE(fs::exists(path("absent.db")));
  }
}

TEST_F(StudyStoreTest, OpenRefusesATruncatedStudy) {
  {
    StudyStore store = StudyStore::create(path(), config());
    StoreBatch batch(store);
    for (int i = 0; i < 400; ++i) {
      store.add_trial(i, {{"x", i}, {"padding", std::string(200, 'p')}});
      store.lease(i, "w", 1.0);
      store.complete(i, i * 0.5, {{"curve", json::array({1, 2, 3, 4, 5, 6, 7, 8})}});
    }
    batch.commit();
  }
  ASSERT_FALSE(fs::exists(path() + "-wal"));  // a clean close checkpoints the whole study
  const auto size = fs::file_size(path());
  ASSERT_GT(size, 64u * 1024);
  fs::resize_file(path(), size / 2);
  for (bool read_only : {false, true}) {
    expect_open_refused(path(), "corrupt", read_only);
  }
  EXPECT_EQ(fs::file_size(path()), size / 2);
}

// Found by the store's fuzz target: a study whose trials table lost a column opened, and its
// first read threw a runtime_error quoting SQL.
TEST_F(StudyStoreTest, OpenRefusesAStudyWhoseTablesLostAColumn) {
  StudyStore::create(path(), config());
  raw_sql(path(), "ALTER TABLE trials DROP COLUMN progress");
  for (bool read_only : {false, true}) {
    expect_open_refused(path(), "not a study store of this schema (no such column: progress)",
                        read_only);
  }
}

TEST_F(StudyStoreTest, OpenRefusesRandomBytes) {
  std::mt19937 rng(12345);
  std::string bytes(8192, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  std::ofstream(path(), std::ios::binary) << bytes;
  for (bool read_only : {false, true}) {
    expect_open_refused(path(), "not a SQLite database", read_only);
  }
}

TEST_F(StudyStoreTest, OpenRefusesOtherSqliteDatabases) {
  raw_sql(path(), "CREATE TABLE trials(number INTEGER); INSERT INTO trials VALUES (1);");
  for (bool read_only : {false, true}) {
    expect_open_refused(path(), "not an autoaug study", read_only);
  }
  // The refused file is left as it was (no WAL switch, no new tables).
  raw_sql(path(), "SELECT number FROM trials");
  EXPECT_FALSE(fs::exists(path() + "-wal"));

  std::ofstream(path("empty.db")).flush();
  expect_open_refused(path("empty.db"), "not an autoaug study", false);
  EXPECT_EQ(fs::file_size(path("empty.db")), 0u);
}

TEST_F(StudyStoreTest, OpenRefusesANewerSchemaVersion) {
  { StudyStore::create(path(), config()); }
  raw_sql(path(), "INSERT INTO schema_version VALUES (" +
                      std::to_string(kStudyStoreSchemaVersion + 1) + ", '2099-01-01T00:00:00Z')");
  for (bool read_only : {false, true}) {
    expect_open_refused(
        path(), "schema version " + std::to_string(kStudyStoreSchemaVersion + 1) + " is newer",
        read_only);
  }
}

TEST_F(StudyStoreTest, MoveKeepsTheConnection) {
  StudyStore a = StudyStore::create(path(), config());
  StudyStore b = std::move(a);
  b.add_trial(0, {{"x", 0}});
  StudyStore c = StudyStore::create(path("other.db"), config());
  c = std::move(b);
  EXPECT_EQ(c.path(), path());
  EXPECT_EQ(c.trials().size(), 1u);
}

// Not a test: reports lease + complete pairs per second at several batch sizes on the disk under
// AUTOAUG_STORE_BENCH_DIR (default: the temp dir). Run with
//   search_store_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
TEST_F(StudyStoreTest, DISABLED_Throughput) {
  const char* env = std::getenv("AUTOAUG_STORE_BENCH_DIR");
  const fs::path bench_dir = env != nullptr ? fs::path(env) / dir_.filename() : dir_;
  fs::create_directories(bench_dir);
  // Batch 0: no batch, each call its own transaction (two commits per pair).
  for (int batch : {0, 1, 16, 64}) {
    const std::string file = (bench_dir / ("bench" + std::to_string(batch) + ".db")).string();
    StudyStore store = StudyStore::create(file, config());
    const int n = batch <= 1 ? 500 : 10000;
    store.begin_batch();
    for (int i = 0; i < n; ++i) store.add_trial(i, {{"x", i * 0.001}, {"op", "rotate"}});
    store.commit_batch();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i += std::max(batch, 1)) {
      if (batch > 0) store.begin_batch();
      for (int j = i; j < std::min(n, i + std::max(batch, 1)); ++j) {
        store.lease(j, "worker-1", 1e10);
        store.complete(j, j * 0.5, {{"acc", 0.75}});
      }
      if (batch > 0) store.commit_batch();
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("batch %3d: %6d lease+complete pairs in %.3f s = %8.0f pairs/s\n", batch, n, s,
                n / s);
  }
  if (env != nullptr) fs::remove_all(bench_dir);
}

}  // namespace
}  // namespace autoaug::search
