// Small templates that keep each wrapped call down to its libvirt body: take a reference on the
// JS thread, run the body on a worker, build the result on the JS thread.
#pragma once

#include <cstdlib>
#include <cstring>

#include "common.h"

namespace drover {

inline Builder Num(double v) {
  return [v](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, v); };
}
inline Builder Bool(bool v) {
  return [v](Napi::Env env) -> Napi::Value { return Napi::Boolean::New(env, v); };
}
inline Builder Str(std::string v) {
  return [v](Napi::Env env) -> Napi::Value { return Napi::String::New(env, v); };
}

// Copies and frees a string libvirt allocated; a null result is a failure of `what`.
inline std::string TakeString(char* s, const char* what) {
  if (s == nullptr) Fail(what);
  std::string out(s);
  free(s);
  return out;
}

template <typename F>
Napi::Value ConnCall(const Napi::CallbackInfo& info, const char* name, F body) {
  auto ref = RefConn(GetHandle(info, 0, Kind::Connection));
  return Run(info.Env(), name, [ref, body]() -> Builder { return body(ref->p); });
}

template <typename F>
Napi::Value DomCall(const Napi::CallbackInfo& info, const char* name, F body) {
  auto ref = RefDomain(GetHandle(info, 0, Kind::Domain));
  return Run(info.Env(), name, [ref, body]() -> Builder { return body(ref->p); });
}

template <typename F>
Napi::Value PoolCall(const Napi::CallbackInfo& info, const char* name, F body) {
  auto ref = RefPool(GetHandle(info, 0, Kind::Pool));
  return Run(info.Env(), name, [ref, body]() -> Builder { return body(ref->p); });
}

template <typename F>
Napi::Value VolCall(const Napi::CallbackInfo& info, const char* name, F body) {
  auto ref = RefVol(GetHandle(info, 0, Kind::Volume));
  return Run(info.Env(), name, [ref, body]() -> Builder { return body(ref->p); });
}

// Plain facts about a new child object, read on the worker together with its pointer.
struct ChildInfo {
  Kind kind = Kind::Domain;
  void* ptr = nullptr;
  std::string name;
  std::string uuid;
  std::string key;  // volumes: key; domains: unused
};

// Owns pointers obtained on a worker until the JS thread wraps them (or frees them if never).
struct Children {
  std::vector<ChildInfo> items;
  ~Children() {
    for (auto& c : items) {
      if (c.ptr == nullptr) continue;
      switch (c.kind) {
        case Kind::Domain: virDomainFree(static_cast<virDomainPtr>(c.ptr)); break;
        case Kind::Pool: virStoragePoolFree(static_cast<virStoragePoolPtr>(c.ptr)); break;
        case Kind::Volume: virStorageVolFree(static_cast<virStorageVolPtr>(c.ptr)); break;
        default: break;
      }
    }
  }
};

inline ChildInfo DomainChild(virDomainPtr d) {
  ChildInfo c;
  c.kind = Kind::Domain;
  c.ptr = d;
  const char* n = virDomainGetName(d);
  if (n) c.name = n;
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (virDomainGetUUIDString(d, uuid) == 0) c.uuid = uuid;
  return c;
}

inline ChildInfo PoolChild(virStoragePoolPtr p) {
  ChildInfo c;
  c.kind = Kind::Pool;
  c.ptr = p;
  const char* n = virStoragePoolGetName(p);
  if (n) c.name = n;
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (virStoragePoolGetUUIDString(p, uuid) == 0) c.uuid = uuid;
  return c;
}

inline ChildInfo VolChild(virStorageVolPtr v) {
  ChildInfo c;
  c.kind = Kind::Volume;
  c.ptr = v;
  const char* n = virStorageVolGetName(v);
  if (n) c.name = n;
  const char* k = virStorageVolGetKey(v);
  if (k) c.key = k;
  return c;
}

// Turns one child into {handle, name, uuid|key}, handing its pointer to a new handle.
inline Napi::Value WrapChild(Napi::Env env, const std::shared_ptr<ConnState>& st, ChildInfo& c) {
  auto h = std::make_shared<Handle>();
  h->kind = c.kind;
  h->ptr = c.ptr;
  h->conn = st;
  c.ptr = nullptr;
  Napi::Object o = Napi::Object::New(env);
  if (st->closed) {
    // The connection closed while the call ran: hand back a dead handle, free the pointer.
    void* p = h->ptr;
    h->ptr = nullptr;
    Kind k = h->kind;
    Reap([p, k]() {
      if (k == Kind::Domain) virDomainFree(static_cast<virDomainPtr>(p));
      if (k == Kind::Pool) virStoragePoolFree(static_cast<virStoragePoolPtr>(p));
      if (k == Kind::Volume) virStorageVolFree(static_cast<virStorageVolPtr>(p));
    });
  } else {
    AdoptChild(h);
  }
  o.Set("handle", WrapHandle(env, h));
  o.Set("name", c.name);
  if (c.kind == Kind::Volume)
    o.Set("key", c.key);
  else
    o.Set("uuid", c.uuid);
  return o;
}

// Builder for one child object.
inline Builder OneChild(std::shared_ptr<ConnState> st, ChildInfo c) {
  auto box = std::make_shared<Children>();
  box->items.push_back(c);
  return [st, box](Napi::Env env) -> Napi::Value { return WrapChild(env, st, box->items[0]); };
}

// Builder for a list of child objects.
inline Builder ManyChildren(std::shared_ptr<ConnState> st, std::shared_ptr<Children> box) {
  return [st, box](Napi::Env env) -> Napi::Value {
    Napi::Array a = Napi::Array::New(env, box->items.size());
    for (size_t i = 0; i < box->items.size(); i++) a.Set(static_cast<uint32_t>(i), WrapChild(env, st, box->items[i]));
    return a;
  };
}

}  // namespace drover
