#pragma once
// Structured logging: every record is one JSON object on one line, written through spdlog.
// Fields are key/value strings; never pass a Secret's bytes as a field.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace poolscaler::log {

enum class Level { kDebug, kInfo, kWarn, kError };

using Field = std::pair<std::string_view, std::string>;

// Sets up the process logger (stderr, JSON lines) and its minimum level. Call once at start-up;
// safe to call again (tests). Logging before Init writes with defaults.
void Init(Level min_level);
// Parses "debug" | "info" | "warn" | "error".
bool ParseLevel(std::string_view text, Level* out);

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

}  // namespace poolscaler::log
