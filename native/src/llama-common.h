// What every llama.cpp session in the addon sets up the same way: the process-wide backend (with our
// log filter) and the clock the timings are read from.
#pragma once

namespace docsight {

// Milliseconds on a steady clock, for timings (load, prefill, decode, embed).
double now_ms();

// Sets llama.cpp's (and mtmd's) log to warnings and errors only, unless DOCSIGHT_NATIVE_LOG is set, and
// initialises the backend: once per process, whichever session loads first.
void init_backend_once();

}  // namespace docsight
