#include "embed-session.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "ggml-backend.h"
#include "llama-common.h"
#include "llama.h"

namespace docsight {

namespace {

std::string meta(const llama_model *model, const std::string &key) {
  char buf[256];
  const int32_t n = llama_model_meta_val_str(model, key.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, std::min<size_t>(n, sizeof buf - 1));
}

}  // namespace

struct EmbedSession::Impl {
  llama_model *model = nullptr;
  llama_context *ctx = nullptr;
  const llama_vocab *vocab = nullptr;
  enum llama_pooling_type pooling = LLAMA_POOLING_TYPE_NONE;  // `enum`: llama.h also has a function of that name
  int n_batch = 256;
  int n_seq_max = 16;
  int n_embd = 0;
  // The token LAST pooling reads at, appended to every text that does not already end with it.
  llama_token end_token = LLAMA_TOKEN_NULL;
  // Own LAST pooling: the context runs in generation mode with an output only at each text's last
  // token, and the scheduler's eval callback copies the final norm's rows ("result_norm", the tensor
  // llama.cpp's own LAST pooling reads). In embedding mode llama.cpp build 10256 makes every token an
  // output and runs the LM head (151 669 × 1 024 for Qwen3) on all of them: about a quarter of the
  // FLOPs and n_vocab × n_batch floats of buffers, for logits nobody reads.
  bool own_pooling = false;
  std::vector<float> captured;  // result_norm rows of the last decode
  int captured_rows = 0;
  int captured_width = 0;

  static bool capture_final_norm(lm_ggml_tensor *t, bool ask, void *data) {
    const bool wanted = std::strcmp(t->name, "result_norm") == 0;
    if (ask || !wanted) return ask ? wanted : true;
    auto *m = static_cast<Impl *>(data);
    if (t->type != LM_GGML_TYPE_F32 || !lm_ggml_is_contiguous(t)) return true;  // checked by the caller
    m->captured.resize(static_cast<size_t>(lm_ggml_nelements(t)));
    lm_ggml_backend_tensor_get(t, m->captured.data(), 0, lm_ggml_nbytes(t));
    m->captured_width = static_cast<int>(t->ne[0]);
    m->captured_rows = static_cast<int>(t->ne[1]);
    return true;
  }

  ~Impl() {
    if (ctx) llama_free(ctx);
    if (model) llama_model_free(model);
  }
};

EmbedSession::EmbedSession(const EmbedLoadOptions &opts) : impl_(std::make_unique<Impl>()) {
  init_backend_once();
  const double t0 = now_ms();
  if (opts.n_ctx < 8 || opts.n_batch < 1 || opts.n_seq_max < 1 || opts.n_seq_max > 256)
    throw Error("BAD_REQUEST", "embedding options out of range (n_ctx >= 8, n_batch >= 1, 1 <= n_seq_max <= 256)");
  Impl &m = *impl_;
  auto mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  mp.load_mode = opts.use_mmap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
  m.model = llama_model_load_from_file(opts.model_path.c_str(), mp);
  if (!m.model) throw Error("MODEL_INVALID", "llama.cpp could not load the embedding model " + opts.model_path);
  m.vocab = llama_model_get_vocab(m.model);

  // Pooling comes from the file (`<arch>.pooling_type`); a model without it is a generator, not an
  // embedding model, and its "embeddings" would be per-token states.
  const std::string arch = meta(m.model, "general.architecture");
  const std::string pooling = meta(m.model, arch + ".pooling_type");
  const int p = pooling.empty() ? -1 : std::atoi(pooling.c_str());
  if (p != LLAMA_POOLING_TYPE_MEAN && p != LLAMA_POOLING_TYPE_CLS && p != LLAMA_POOLING_TYPE_LAST)
    throw Error("MODEL_INVALID", opts.model_path + " is not a text-embedding model (its metadata has " +
                                     (pooling.empty() ? std::string("no ") + arch + ".pooling_type" : "pooling type " + pooling) +
                                     "); use an embedding GGUF such as Qwen3-Embedding-0.6B");
  m.pooling = static_cast<enum llama_pooling_type>(p);

  const int n_threads = opts.n_threads > 0 ? opts.n_threads : std::max(1u, std::thread::hardware_concurrency());
  // LAST pooling reads the final token's state, so a text may span several decode calls (the KV
  // cache carries the earlier part). MEAN and CLS need the whole text in one call.
  m.n_batch = m.pooling == LLAMA_POOLING_TYPE_LAST ? std::min(opts.n_batch, opts.n_ctx) : opts.n_ctx;
  m.n_seq_max = opts.n_seq_max;
  m.own_pooling = m.pooling == LLAMA_POOLING_TYPE_LAST && opts.own_last_pooling;
  auto cp = llama_context_default_params();
  cp.n_ctx = opts.n_ctx;
  cp.n_batch = m.n_batch;
  cp.n_ubatch = m.n_batch;
  cp.n_seq_max = opts.n_seq_max;
  cp.kv_unified = true;  // one KV buffer shared by the group's texts: a long text may use all of it
  cp.embeddings = !m.own_pooling;
  // Own pooling: the model's pooling stays set but is inert without embedding mode (and llama.cpp
  // warns when the two differ).
  cp.pooling_type = m.own_pooling ? LLAMA_POOLING_TYPE_UNSPECIFIED : m.pooling;
  if (m.own_pooling) {
    cp.cb_eval = &Impl::capture_final_norm;
    cp.cb_eval_user_data = &m;
  }
  cp.n_threads = n_threads;
  cp.n_threads_batch = n_threads;
  cp.no_perf = true;
  m.ctx = llama_init_from_model(m.model, cp);
  if (!m.ctx) throw Error("ENGINE_FAILED", "could not create a llama.cpp embedding context (n_ctx=" + std::to_string(opts.n_ctx) + "; out of memory?)");
  llama_set_abort_callback(
      m.ctx, [](void *flag) { return static_cast<std::atomic<bool> *>(flag)->load(); }, &abort_);
  m.n_embd = llama_model_n_embd_out(m.model);
  if (m.pooling == LLAMA_POOLING_TYPE_LAST) {
    // A GGUF with add_eos_token names the token the model was trained to pool at as its EOS. Qwen3-
    // Embedding GGUFs converted before llama.cpp read its tokenizer template lack that flag and name
    // <|im_end|> as EOS, while the model pools at <|endoftext|> (its tokenizer's template appends
    // that): without the flag, prefer <|endoftext|> when the vocabulary has it as a control token.
    m.end_token = llama_vocab_eos(m.vocab);
    if (!llama_vocab_get_add_eos(m.vocab)) {
      const std::string eot = "<|endoftext|>";
      llama_token t[2];
      if (llama_tokenize(m.vocab, eot.data(), static_cast<int32_t>(eot.size()), t, 2, false, true) == 1 &&
          llama_vocab_is_control(m.vocab, t[0]))
        m.end_token = t[0];
    }
  }
  load_ms_ = now_ms() - t0;
}

EmbedSession::~EmbedSession() = default;

int EmbedSession::dimensions() const { return impl_->n_embd; }
int EmbedSession::n_ctx() const { return static_cast<int>(llama_n_ctx(impl_->ctx)); }
bool EmbedSession::model_adds_eos() const { return llama_vocab_get_add_eos(impl_->vocab); }
bool EmbedSession::own_last_pooling() const { return impl_->own_pooling; }
std::string EmbedSession::end_token() const {
  if (impl_->end_token == LLAMA_TOKEN_NULL) return "";
  const char *text = llama_vocab_get_text(impl_->vocab, impl_->end_token);
  return text ? text : "";
}
std::string EmbedSession::pooling() const {
  switch (impl_->pooling) {
    case LLAMA_POOLING_TYPE_LAST: return "last";
    case LLAMA_POOLING_TYPE_MEAN: return "mean";
    case LLAMA_POOLING_TYPE_CLS: return "cls";
    default: return "none";
  }
}

EmbedResult EmbedSession::embed(const std::vector<std::string> &texts) {
  abort_.store(false);
  Impl &m = *impl_;
  EmbedResult res;
  const double t0 = now_ms();
  const int max_tokens = n_ctx();
  const llama_token eos = m.end_token;
  const bool need_eos = eos != LLAMA_TOKEN_NULL;

  // 1. Tokenize. add_special adds what the GGUF asks for (BOS/EOS); special-token text inside a
  //    document stays plain text (parse_special false), so a document cannot forge an EOS.
  std::vector<std::vector<llama_token>> toks(texts.size());
  for (size_t i = 0; i < texts.size(); i++) {
    const std::string &t = texts[i];
    const int32_t n = -llama_tokenize(m.vocab, t.data(), static_cast<int32_t>(t.size()), nullptr, 0, true, false);
    if (n > 0) {
      toks[i].resize(n);
      llama_tokenize(m.vocab, t.data(), static_cast<int32_t>(t.size()), toks[i].data(), n, true, false);
    }
    // Qwen3-Embedding was trained with the vector read at an appended end-of-text token; GGUFs
    // converted before llama.cpp knew its tokenizer template lack the add-EOS flag.
    if (need_eos && (toks[i].empty() || toks[i].back() != eos)) toks[i].push_back(eos);
    if (toks[i].empty()) throw Error("BAD_REQUEST", "text " + std::to_string(i) + " is empty");
    res.original_token_counts.push_back(static_cast<int>(toks[i].size()));
    if (static_cast<int>(toks[i].size()) > max_tokens) {
      // Keep the beginning; the final (EOS) token stays last, where LAST pooling reads.
      const llama_token last = toks[i].back();
      toks[i].resize(max_tokens);
      if (need_eos) toks[i].back() = last;
    }
    res.token_counts.push_back(static_cast<int>(toks[i].size()));
  }
  res.vectors.assign(texts.size(), {});

  // 2. Evaluate in groups: up to n_seq_max texts that fill one llama_decode call (n_batch tokens),
  //    each its own sequence, or one longer text alone over several calls. Texts of a group share
  //    the KV cache, and attention runs over all of it (masked by sequence), so a group is kept to a
  //    call's worth rather than a whole context (2 % less CPU for 512-token chunks, bench/embed.ts).
  llama_memory_t mem = llama_get_memory(m.ctx);
  llama_batch batch = llama_batch_init(m.n_batch, 0, 1);
  struct BatchFree {
    llama_batch &b;
    ~BatchFree() { llama_batch_free(b); }
  } batch_free{batch};

  auto read_vector = [&](size_t text, const float *v) {
    if (!v) throw Error("ENGINE_FAILED", "llama.cpp returned no pooled embedding for text " + std::to_string(text));
    double norm = 0;
    for (int j = 0; j < m.n_embd; j++) norm += double(v[j]) * v[j];
    norm = std::sqrt(norm);
    if (!(norm > 0) || !std::isfinite(norm))
      throw Error("ENGINE_FAILED", "the embedding of text " + std::to_string(text) + " is zero or not finite");
    std::vector<float> &out = res.vectors[text];
    out.resize(m.n_embd);
    for (int j = 0; j < m.n_embd; j++) out[j] = static_cast<float>(v[j] / norm);
  };

  try {
    size_t next = 0;
    while (next < texts.size()) {
      size_t end = next;
      int group_tokens = 0;
      while (end < texts.size() && static_cast<int>(end - next) < m.n_seq_max &&
             (end == next || group_tokens + static_cast<int>(toks[end].size()) <= m.n_batch)) {
        group_tokens += static_cast<int>(toks[end].size());
        end++;
      }
      llama_memory_clear(mem, true);
      size_t text = next;
      size_t at = 0;  // next token of `text`
      std::vector<std::pair<size_t, llama_seq_id>> finished;
      while (text < end) {
        batch.n_tokens = 0;
        finished.clear();
        while (text < end && batch.n_tokens < m.n_batch) {
          const int j = batch.n_tokens++;
          const llama_seq_id seq = static_cast<llama_seq_id>(text - next);
          batch.token[j] = toks[text][at];
          batch.pos[j] = static_cast<llama_pos>(at);
          batch.n_seq_id[j] = 1;
          batch.seq_id[j][0] = seq;
          // Embedding mode wants every token as an output; own pooling only each text's last one.
          batch.logits[j] = !m.own_pooling || at + 1 == toks[text].size();
          if (++at == toks[text].size()) {
            finished.emplace_back(text, seq);
            text++;
            at = 0;
          }
        }
        m.captured_rows = 0;
        const int32_t rc = llama_decode(m.ctx, batch);
        if (rc == 2) throw Error("CANCELLED", "embedding was cancelled");
        if (rc != 0) throw Error("ENGINE_FAILED", "embedding failed (llama_decode returned " + std::to_string(rc) + ")");
        res.total_tokens += batch.n_tokens;
        if (!m.own_pooling) {
          for (const auto &[t, seq] : finished) read_vector(t, llama_get_embeddings_seq(m.ctx, seq));
        } else if (!finished.empty()) {
          // Outputs come in batch order, which is the order the texts finished in.
          if (m.captured_rows != static_cast<int>(finished.size()) || m.captured_width != m.n_embd)
            throw Error("ENGINE_FAILED", "the final hidden states were not captured (" + std::to_string(m.captured_rows) + " rows of " +
                                             std::to_string(m.captured_width) + " for " + std::to_string(finished.size()) + " texts)");
          for (size_t k = 0; k < finished.size(); k++) read_vector(finished[k].first, m.captured.data() + k * m.n_embd);
        }
      }
      next = end;
    }
  } catch (...) {
    llama_memory_clear(mem, true);
    throw;
  }
  llama_memory_clear(mem, true);
  res.embed_ms = now_ms() - t0;
  return res;
}

}  // namespace docsight
