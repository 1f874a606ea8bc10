#include "poolscaler/common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace poolscaler::log {
namespace {

std::mutex g_mu;
std::shared_ptr<spdlog::logger> g_logger;  // guarded by g_mu for (re)creation

spdlog::level::level_enum ToSpd(Level l) {
  switch (l) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* Name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::shared_ptr<spdlog::logger> Logger() {
  std::lock_guard lock(g_mu);
  if (!g_logger) {
    g_logger = std::make_shared<spdlog::logger>(
        "poolscaler", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    g_logger->set_pattern("%v");  // the record is already a JSON object
    g_logger->set_level(spdlog::level::info);
    g_logger->flush_on(spdlog::level::debug);
  }
  return g_logger;
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace

void Init(Level min_level) { Logger()->set_level(ToSpd(min_level)); }

bool ParseLevel(std::string_view text, Level* out) {
  if (text == "debug") *out = Level::kDebug;
  else if (text == "info") *out = Level::kInfo;
  else if (text == "warn") *out = Level::kWarn;
  else if (text == "error") *out = Level::kError;
  else return false;
  return true;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  auto logger = Logger();
  if (!logger->should_log(ToSpd(level))) return;
  nlohmann::ordered_json record;
  record["time"] = Timestamp();
  record["level"] = Name(level);
  record["msg"] = std::string(msg);
  for (const auto& [key, value] : fields) record[std::string(key)] = value;
  // Replace invalid UTF-8 rather than throw: log lines must never take the process down.
  logger->log(ToSpd(level), record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace poolscaler::log
