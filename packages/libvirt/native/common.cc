#include "common.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace drover {

// ---- errors ---------------------------------------------------------------------------------

LvError CaptureLastError(const char* what) {
  LvError out;
  virErrorPtr e = virSaveLastError();
  if (e != nullptr && e->code != VIR_ERR_OK) {
    out.code = e->code;
    out.domain = e->domain;
    out.level = e->level;
    out.message = e->message ? e->message : "";
    out.str1 = e->str1 ? e->str1 : "";
    out.str2 = e->str2 ? e->str2 : "";
    out.str3 = e->str3 ? e->str3 : "";
    out.int1 = e->int1;
    out.int2 = e->int2;
  } else {
    out.message = std::string(what ? what : "libvirt call") + " failed without a libvirt error";
  }
  if (e != nullptr) virFreeError(e);
  virResetLastError();
  if (out.message.empty()) out.message = std::string(what ? what : "libvirt call") + " failed";
  return out;
}

void Fail(const char* what) { throw LvFailure{CaptureLastError(what)}; }

void FailWith(int code, int domain, const std::string& message) {
  LvError e;
  e.code = code;
  e.domain = domain;
  e.message = message;
  throw LvFailure{e};
}

Napi::Object ErrorToJs(Napi::Env env, const LvError& e) {
  Napi::Object err = Napi::Error::New(env, e.message).Value();
  err.Set("libvirt", Napi::Boolean::New(env, true));
  err.Set("code", Napi::Number::New(env, e.code));
  err.Set("domain", Napi::Number::New(env, e.domain));
  err.Set("level", Napi::Number::New(env, e.level));
  if (!e.str1.empty()) err.Set("str1", Napi::String::New(env, e.str1));
  if (!e.str2.empty()) err.Set("str2", Napi::String::New(env, e.str2));
  if (!e.str3.empty()) err.Set("str3", Napi::String::New(env, e.str3));
  err.Set("int1", Napi::Number::New(env, e.int1));
  err.Set("int2", Napi::Number::New(env, e.int2));
  return err;
}

void ThrowLv(Napi::Env env, int code, int domain, const std::string& message) {
  LvError e;
  e.code = code;
  e.domain = domain;
  e.message = message;
  throw Napi::Error(env, ErrorToJs(env, e));
}

// ---- counters -------------------------------------------------------------------------------

static std::atomic<int64_t> g_counts[static_cast<int>(Kind::Count)];

const char* KindName(Kind k) {
  switch (k) {
    case Kind::Connection: return "connections";
    case Kind::Domain: return "domains";
    case Kind::Pool: return "pools";
    case Kind::Volume: return "volumes";
    case Kind::Stream: return "streams";
    default: return "unknown";
  }
}
void CountUp(Kind k) { g_counts[static_cast<int>(k)].fetch_add(1); }
void CountDown(Kind k) { g_counts[static_cast<int>(k)].fetch_sub(1); }
int64_t LiveCount(Kind k) { return g_counts[static_cast<int>(k)].load(); }

// ---- reaper ---------------------------------------------------------------------------------

namespace {
// Heap-allocated and never destroyed: the reaper thread waits on it for the life of the process,
// and destroying a condition variable with a waiter at exit would hang.
struct Reaper {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  bool started = false;
};
Reaper& reaper() {
  static Reaper* r = new Reaper();
  return *r;
}

void ReaperLoop() {
  Reaper& r = reaper();
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(r.mu);
      r.cv.wait(lock, [&r] { return !r.queue.empty(); });
      fn = std::move(r.queue.front());
      r.queue.pop_front();
    }
    try {
      fn();
    } catch (...) {
    }
    virResetLastError();
  }
}
}  // namespace

void Reap(std::function<void()> fn) {
  if (!fn) return;
  Reaper& r = reaper();
  std::lock_guard<std::mutex> lock(r.mu);
  if (!r.started) {
    r.started = true;
    std::thread(ReaperLoop).detach();
  }
  r.queue.push_back(std::move(fn));
  r.cv.notify_one();
}

// ---- handles --------------------------------------------------------------------------------

static const napi_type_tag kHandleTag = {0x6472766c69627672ULL, 0x68616e646c653031ULL};

std::function<void()> DetachRelease(Handle& h) {
  void* p = h.ptr;
  h.ptr = nullptr;
  if (p == nullptr) return nullptr;
  switch (h.kind) {
    case Kind::Connection: {
      std::shared_ptr<ConnState> st = h.conn;
      st->closed = true;
      std::vector<std::function<void()>> kids;
      for (auto& w : st->children) {
        if (HandleRef c = w.lock()) {
          if (auto fn = DetachRelease(*c)) kids.push_back(std::move(fn));
        }
      }
      st->children.clear();
      return [st, kids, p]() {
        for (auto& fn : kids) fn();
        DeregisterConnEvents(*st);
        virConnectClose(static_cast<virConnectPtr>(p));
        st->conn = nullptr;
        CountDown(Kind::Connection);
      };
    }
    case Kind::Domain:
      return [p]() {
        virDomainFree(static_cast<virDomainPtr>(p));
        CountDown(Kind::Domain);
      };
    case Kind::Pool:
      return [p]() {
        virStoragePoolFree(static_cast<virStoragePoolPtr>(p));
        CountDown(Kind::Pool);
      };
    case Kind::Volume:
      return [p]() {
        virStorageVolFree(static_cast<virStorageVolPtr>(p));
        CountDown(Kind::Volume);
      };
    case Kind::Stream:
      return StreamReleaseFn(h.stream, static_cast<virStreamPtr>(p));
    default:
      return nullptr;
  }
}

Napi::Value WrapHandle(Napi::Env env, HandleRef h) {
  if (h->ptr != nullptr) CountUp(h->kind);
  auto* box = new HandleRef(std::move(h));
  auto ext = Napi::External<HandleRef>::New(env, box, [](Napi::Env, HandleRef* b) {
    if (auto fn = DetachRelease(**b)) Reap(std::move(fn));
    delete b;
  });
  ext.TypeTag(&kHandleTag);
  return ext;
}

void AdoptChild(const HandleRef& h) {
  ConnState& st = *h->conn;
  if (st.children.size() >= st.pruneAt) {
    std::vector<std::weak_ptr<Handle>> keep;
    for (auto& w : st.children)
      if (!w.expired()) keep.push_back(w);
    st.children.swap(keep);
    st.pruneAt = std::max<size_t>(64, st.children.size() * 2);
  }
  st.children.push_back(h);
}

static int ClosedCode(Kind k) {
  switch (k) {
    case Kind::Connection: return VIR_ERR_INVALID_CONN;
    case Kind::Domain: return VIR_ERR_INVALID_DOMAIN;
    case Kind::Pool: return VIR_ERR_INVALID_STORAGE_POOL;
    case Kind::Volume: return VIR_ERR_INVALID_STORAGE_VOL;
    case Kind::Stream: return VIR_ERR_INVALID_STREAM;
    default: return VIR_ERR_INVALID_ARG;
  }
}

static const char* KindSingular(Kind k) {
  switch (k) {
    case Kind::Connection: return "connection";
    case Kind::Domain: return "domain";
    case Kind::Pool: return "storage pool";
    case Kind::Volume: return "storage volume";
    case Kind::Stream: return "stream";
    default: return "handle";
  }
}

HandleRef PeekHandle(Napi::Value v) {
  if (!v.IsExternal() || !v.As<Napi::External<HandleRef>>().CheckTypeTag(&kHandleTag)) return nullptr;
  return *v.As<Napi::External<HandleRef>>().Data();
}

HandleRef GetHandle(const Napi::CallbackInfo& info, size_t index, Kind kind) {
  Napi::Env env = info.Env();
  Napi::Value v = info[index];
  if (!v.IsExternal() || !v.As<Napi::External<HandleRef>>().CheckTypeTag(&kHandleTag)) {
    throw Napi::TypeError::New(env, std::string("expected a ") + KindSingular(kind) + " handle");
  }
  HandleRef h = *v.As<Napi::External<HandleRef>>().Data();
  if (h->kind != kind) {
    throw Napi::TypeError::New(env, std::string("expected a ") + KindSingular(kind) + " handle, got a " +
                                        KindSingular(h->kind) + " handle");
  }
  if (h->conn && h->conn->closed && kind != Kind::Connection) {
    ThrowLv(env, VIR_ERR_INVALID_CONN, VIR_FROM_NONE,
            std::string("the connection of this ") + KindSingular(kind) + " is closed");
  }
  if (h->ptr == nullptr) {
    ThrowLv(env, ClosedCode(kind), VIR_FROM_NONE, std::string("this ") + KindSingular(kind) + " is closed");
  }
  return h;
}

ConnRef::ConnRef(virConnectPtr c) : p(c) { virConnectRef(p); }
ConnRef::~ConnRef() { virConnectClose(p); }
DomRef::DomRef(virDomainPtr d) : p(d) { virDomainRef(p); }
DomRef::~DomRef() { virDomainFree(p); }
PoolRef::PoolRef(virStoragePoolPtr d) : p(d) { virStoragePoolRef(p); }
PoolRef::~PoolRef() { virStoragePoolFree(p); }
VolRef::VolRef(virStorageVolPtr d) : p(d) { virStorageVolRef(p); }
VolRef::~VolRef() { virStorageVolFree(p); }

std::shared_ptr<ConnRef> RefConn(const HandleRef& h) {
  return std::make_shared<ConnRef>(static_cast<virConnectPtr>(h->ptr));
}
std::shared_ptr<DomRef> RefDomain(const HandleRef& h) {
  return std::make_shared<DomRef>(static_cast<virDomainPtr>(h->ptr));
}
std::shared_ptr<PoolRef> RefPool(const HandleRef& h) {
  return std::make_shared<PoolRef>(static_cast<virStoragePoolPtr>(h->ptr));
}
std::shared_ptr<VolRef> RefVol(const HandleRef& h) {
  return std::make_shared<VolRef>(static_cast<virStorageVolPtr>(h->ptr));
}

// ---- promise worker -------------------------------------------------------------------------

namespace {
class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, const char* name, Exec exec)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), exec_(std::move(exec)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      build_ = exec_();
    } catch (const LvFailure& f) {
      err_ = f.err;
      failed_ = true;
    } catch (const std::exception& ex) {
      err_ = LvError{};
      err_.message = ex.what();
      failed_ = true;
    }
    // Drop captured libvirt references here, on the worker thread: the last reference to a
    // connection may close a socket.
    exec_ = nullptr;
    virResetLastError();
    if (failed_) SetError(err_.message);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Value v = build_ ? build_(env) : env.Undefined();
    build_ = nullptr;
    deferred_.Resolve(v);
  }

  void OnError(const Napi::Error&) override { deferred_.Reject(ErrorToJs(Env(), err_)); }

 private:
  Napi::Promise::Deferred deferred_;
  Exec exec_;
  Builder build_;
  LvError err_;
  bool failed_ = false;
};
}  // namespace

Napi::Promise Run(Napi::Env env, const char* name, Exec exec) {
  auto* job = new Job(env, name, std::move(exec));
  Napi::Promise p = job->Promise();
  job->Queue();
  return p;
}

// ---- argument helpers -----------------------------------------------------------------------

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

std::string ArgOptString(const Napi::CallbackInfo& info, size_t i, bool* present) {
  if (info[i].IsString()) {
    *present = true;
    return info[i].As<Napi::String>().Utf8Value();
  }
  *present = false;
  return std::string();
}

unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsUndefined() || info[i].IsNull()) return 0;
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "flags must be a number");
  return info[i].As<Napi::Number>().Uint32Value();
}

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

uint64_t ArgU64(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info[i].IsBigInt()) {
    bool lossless = false;
    return info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  }
  double d = ArgNumber(info, i, what);
  if (d < 0) throw Napi::RangeError::New(info.Env(), std::string(what) + " must not be negative");
  return static_cast<uint64_t>(d);
}

// ---- typed parameters -----------------------------------------------------------------------

std::vector<TypedValue> CopyTypedParams(virTypedParameterPtr params, int n) {
  std::vector<TypedValue> out;
  for (int i = 0; i < n; i++) {
    const virTypedParameter& p = params[i];
    TypedValue v;
    v.name = p.field;
    v.type = p.type;
    switch (p.type) {
      case VIR_TYPED_PARAM_INT: v.number = p.value.i; break;
      case VIR_TYPED_PARAM_UINT: v.number = p.value.ui; break;
      case VIR_TYPED_PARAM_LLONG: v.number = static_cast<double>(p.value.l); break;
      case VIR_TYPED_PARAM_ULLONG: v.number = static_cast<double>(p.value.ul); break;
      case VIR_TYPED_PARAM_DOUBLE: v.number = p.value.d; break;
      case VIR_TYPED_PARAM_BOOLEAN: v.number = p.value.b ? 1 : 0; break;
      case VIR_TYPED_PARAM_STRING: v.text = p.value.s ? p.value.s : ""; break;
      default: continue;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Napi::Object TypedParamsToJs(Napi::Env env, const std::vector<TypedValue>& values) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& v : values) {
    if (v.type == VIR_TYPED_PARAM_STRING)
      o.Set(v.name, Napi::String::New(env, v.text));
    else if (v.type == VIR_TYPED_PARAM_BOOLEAN)
      o.Set(v.name, Napi::Boolean::New(env, v.number != 0));
    else
      o.Set(v.name, Napi::Number::New(env, v.number));
  }
  return o;
}

}  // namespace drover
