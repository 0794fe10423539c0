#include "llama-common.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "llama.h"
#include "mtmd-helper.h"

namespace docsight {

namespace {

// llama.cpp logs a lot at info level; keep warnings and errors (they explain a failed load) unless
// DOCSIGHT_NATIVE_LOG=1 asks for everything.
void log_filter(enum lm_ggml_log_level level, const char *text, void *) {
  static const bool verbose = std::getenv("DOCSIGHT_NATIVE_LOG") != nullptr;
  if (verbose || level == LM_GGML_LOG_LEVEL_ERROR || level == LM_GGML_LOG_LEVEL_WARN) fputs(text, stderr);
}

}  // namespace

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

void init_backend_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(log_filter, nullptr);
    // The vision encoder (mtmd) logs through its own callback; an embedding-only process never uses it.
    mtmd_helper_log_set(log_filter, nullptr);
    llama_backend_init();
  });
}

}  // namespace docsight
