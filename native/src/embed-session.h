// DocSight's text-embedding session over llama.cpp: load an embedding GGUF (pooling taken from its
// metadata, e.g. LAST for Qwen3-Embedding), embed several texts per call as separate sequences of
// one batch, and return L2-normalised vectors. Shared by the N-API addon (EmbedSession class).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "vlm-session.h"  // docsight::Error

namespace docsight {

struct EmbedLoadOptions {
  std::string model_path;
  int n_ctx = 2048;     // KV positions shared by the texts of one group; also the longest text
  int n_batch = 256;    // tokens per llama_decode call (bounds the logits buffer: n_vocab × n_batch floats)
  int n_seq_max = 16;   // texts evaluated together as separate sequences
  int n_threads = 0;    // 0: all cores
  bool use_mmap = true;
  // LAST pooling, read by DocSight from the final norm's output for just the last token of each
  // text (false: llama.cpp's own pooling, which in this build also runs the LM head on every token).
  bool own_last_pooling = true;
};

struct EmbedResult {
  std::vector<std::vector<float>> vectors;  // one unit vector per text, in input order
  std::vector<int> token_counts;            // tokens evaluated per text (after truncation, EOS included)
  std::vector<int> original_token_counts;   // before truncation (equal unless truncated)
  int total_tokens = 0;
  double embed_ms = 0;
};

class EmbedSession {
 public:
  explicit EmbedSession(const EmbedLoadOptions &opts);  // throws Error
  ~EmbedSession();
  EmbedSession(const EmbedSession &) = delete;
  EmbedSession &operator=(const EmbedSession &) = delete;

  EmbedResult embed(const std::vector<std::string> &texts);  // throws Error
  void request_abort() { abort_.store(true); }

  int dimensions() const;
  int n_ctx() const;
  double load_ms() const { return load_ms_; }
  // "last" | "mean" | "cls": how token states become one vector (from the model's metadata).
  std::string pooling() const;
  // Whether the GGUF asks for an end-of-sequence token after each text (tokenizer.ggml.add_eos_token).
  // With LAST pooling the session appends one even when it does not: the vector is read there.
  bool model_adds_eos() const;
  // The token appended to every text for LAST pooling ("" for other poolings).
  std::string end_token() const;
  // True when LAST pooling is read from the final norm here (see EmbedLoadOptions::own_last_pooling).
  bool own_last_pooling() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> abort_{false};
  double load_ms_ = 0;
};

}  // namespace docsight
