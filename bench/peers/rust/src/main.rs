//! kvps's Rust crate beside the `object_store` and `opendal` crates on memory://, file:// and
//! s3:// (with $KVPS_TEST_S3_URL), each through its idiomatic API: kvps is blocking (threads),
//! object_store and opendal are async (tasks on one multi-thread tokio runtime). The same
//! workloads, row names and alternating repetitions as bench/peers/bench_py.py; prints JSON for
//! bench/peers/report.py. Run by bench/run; by hand:
//!
//!     cargo run --release -- [--smoke] [--reps 5] [--backends memory,file,s3] [--list-n N]
//!         [--delete-n N] [--stream-mib N] [--scale F] [--only small,mib,list,delete,stream]
//!         [--impls kvps,object_store,...]   (those libraries alone: for profiling one of them)
//!
//! "limit" is the same work without a store library: a HashMap behind a Mutex (memory://),
//! plain std::fs calls on one flat folder, no fsync (file://).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{path::Path as OPath, ObjectStore, PutPayload, WriteMultipart};
use opendal::Operator;
use serde_json::{json, Value};
use tokio::runtime::Runtime;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
const CHUNK: usize = 8 * MIB;
/// The versions pinned in Cargo.toml (neither crate exports its own).
const OBJECT_STORE_VERSION: &str = "0.12.5";
const OPENDAL_VERSION: &str = "0.54.1";

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One store reached through one library.
enum Imp {
    Kvps(kvps::Store),
    LimitMem(Mutex<HashMap<String, Vec<u8>>>),
    LimitFile(PathBuf),
    Async(Peer),
}

/// The async peers, cheap to clone into tasks.
#[derive(Clone)]
enum Peer {
    Os(Arc<dyn ObjectStore>),
    Dal(Operator),
}

#[derive(Clone, Copy)]
enum Op {
    Put,
    Get,
    Stat,
    Delete,
}

struct S3 {
    url: String,
    bucket: String,
    endpoint: String,
    region: String,
    key: String,
    secret: String,
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8 URL")
}

fn s3_params() -> S3 {
    let url = std::env::var("KVPS_TEST_S3_URL").expect("s3 needs $KVPS_TEST_S3_URL");
    let rest = url.strip_prefix("s3://").expect("an s3:// URL");
    let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
    let q: HashMap<&str, String> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k, unescape(v)))
        .collect();
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    S3 {
        url: url.clone(),
        bucket: bucket.trim_end_matches('/').to_string(),
        endpoint: get("endpoint"),
        region: q
            .get("region")
            .cloned()
            .unwrap_or_else(|| "us-east-1".into()),
        key: get("access_key_id"),
        secret: get("secret_access_key"),
    }
}

fn make(name: &str, backend: &str, root: &str) -> Imp {
    let folder = |sub: &str| {
        let p = PathBuf::from(root).join(sub);
        std::fs::create_dir_all(&p).unwrap();
        p
    };
    match (backend, name) {
        ("memory", "kvps") => Imp::Kvps(kvps::Store::open("memory://").unwrap()),
        ("memory", "object_store") => {
            Imp::Async(Peer::Os(Arc::new(object_store::memory::InMemory::new())))
        }
        ("memory", "opendal") => Imp::Async(Peer::Dal(
            Operator::new(opendal::services::Memory::default())
                .unwrap()
                .finish(),
        )),
        ("memory", "limit") => Imp::LimitMem(Mutex::new(HashMap::new())),
        // kvps and kvps fsync: one folder, the same files written and read both ways.
        ("file", "kvps") => Imp::Kvps(
            kvps::Store::open_with(
                &format!("file://{}", folder("kvps").display()),
                [("fsync", "false")],
            )
            .unwrap(),
        ),
        ("file", "kvps fsync") => {
            Imp::Kvps(kvps::Store::open(&format!("file://{}", folder("kvps").display())).unwrap())
        }
        ("file", "object_store") => Imp::Async(Peer::Os(Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(folder("object_store")).unwrap(),
        ))),
        ("file", "opendal") => Imp::Async(Peer::Dal(
            Operator::new(
                opendal::services::Fs::default().root(folder("opendal").to_str().unwrap()),
            )
            .unwrap()
            .finish(),
        )),
        ("file", "limit") => Imp::LimitFile(folder("limit")),
        // kvps's default over https (the peers' own plain-http choice differs: opendal sends
        // UNSIGNED-PAYLOAD, object_store signs): bench/peers/notes.md, "The s3:// rows".
        ("s3", "kvps") => Imp::Kvps(
            kvps::Store::open_with(&s3_params().url, [("unsigned_payload", "true")]).unwrap(),
        ),
        ("s3", "filler") => {
            Imp::Kvps(kvps::Store::open_with(&s3_params().url, [("concurrency", "64")]).unwrap())
        }
        ("s3", "object_store") => {
            let s = s3_params();
            Imp::Async(Peer::Os(Arc::new(
                object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s.bucket)
                    .with_endpoint(&s.endpoint)
                    .with_region(&s.region)
                    .with_access_key_id(&s.key)
                    .with_secret_access_key(&s.secret)
                    .with_allow_http(true)
                    .with_virtual_hosted_style_request(false)
                    .build()
                    .unwrap(),
            )))
        }
        ("s3", "opendal") => {
            let s = s3_params();
            Imp::Async(Peer::Dal(
                Operator::new(
                    opendal::services::S3::default()
                        .bucket(&s.bucket)
                        .endpoint(&s.endpoint)
                        .region(&s.region)
                        .access_key_id(&s.key)
                        .secret_access_key(&s.secret)
                        .disable_config_load()
                        .disable_ec2_metadata(),
                )
                .unwrap()
                .finish(),
            ))
        }
        _ => panic!("no {name} on {backend}"),
    }
}

fn impls(backend: &str) -> Vec<&'static str> {
    match backend {
        "memory" => vec!["kvps", "object_store", "opendal", "limit"],
        "file" => vec!["kvps", "kvps fsync", "object_store", "opendal", "limit"],
        "s3" => vec!["kvps", "object_store", "opendal"],
        _ => panic!("unknown backend {backend}"),
    }
}

// ------------------------------------------------------------------ one operation

fn flat(root: &std::path::Path, key: &str) -> PathBuf {
    root.join(key.replace('/', "%"))
}

fn sync_op(imp: &Imp, op: Op, key: &str, value: &[u8]) -> Res<()> {
    match imp {
        Imp::Kvps(s) => match op {
            Op::Put => s.put(key, value)?,
            Op::Get => {
                s.get(key)?.ok_or("missing")?;
            }
            Op::Stat => {
                s.stat(key)?.ok_or("missing")?;
            }
            Op::Delete => s.delete(key)?,
        },
        Imp::LimitMem(m) => match op {
            Op::Put => {
                let v = value.to_vec();
                m.lock().unwrap().insert(key.to_string(), v);
            }
            Op::Get => {
                let v = m.lock().unwrap().get(key).ok_or("missing")?.clone();
                std::hint::black_box(v);
            }
            Op::Stat => {
                m.lock().unwrap().get(key).ok_or("missing")?.len();
            }
            Op::Delete => {
                m.lock().unwrap().remove(key);
            }
        },
        Imp::LimitFile(root) => {
            let p = flat(root, key);
            match op {
                Op::Put => {
                    let tmp = p.with_extension(format!("{:?}.tmp", std::thread::current().id()));
                    std::fs::write(&tmp, value)?;
                    std::fs::rename(&tmp, &p)?;
                }
                Op::Get => {
                    std::hint::black_box(std::fs::read(&p)?);
                }
                Op::Stat => {
                    std::fs::metadata(&p)?;
                }
                Op::Delete => match std::fs::remove_file(&p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                },
            }
        }
        Imp::Async(_) => unreachable!(),
    }
    Ok(())
}

async fn async_op(p: &Peer, op: Op, key: &str, value: &Bytes) -> Res<()> {
    match p {
        Peer::Os(s) => {
            let path = OPath::from(key);
            match op {
                Op::Put => {
                    s.put(&path, PutPayload::from(value.clone())).await?;
                }
                Op::Get => {
                    std::hint::black_box(s.get(&path).await?.bytes().await?);
                }
                Op::Stat => {
                    s.head(&path).await?;
                }
                Op::Delete => s.delete(&path).await?,
            }
        }
        Peer::Dal(o) => match op {
            Op::Put => {
                o.write(key, value.clone()).await?;
            }
            Op::Get => {
                std::hint::black_box(o.read(key).await?);
            }
            Op::Stat => {
                o.stat(key).await?;
            }
            Op::Delete => o.delete(key).await?,
        },
    }
    Ok(())
}

/// Seconds for one op on every key, split over `threads` threads (kvps, limit) or tasks
/// (object_store, opendal), each its own range of keys.
/// The 1 MiB rows: kvps through its blobs (the value made once, as the peers' Bytes is: on
/// memory:// neither side copies), everything else through `timed`.
fn timed_mib(
    imp: &Imp,
    rt: &Runtime,
    keys: &Arc<Vec<String>>,
    op: Op,
    value: &Bytes,
    blob: &kvps::Blob,
) -> f64 {
    let Imp::Kvps(s) = imp else {
        return timed(imp, rt, 1, keys, op, value, blob);
    };
    let t = Instant::now();
    for k in keys.iter() {
        match op {
            Op::Put => s.put_blob(k, blob).unwrap(),
            _ => {
                std::hint::black_box(s.get_blob(k).unwrap().expect("missing"));
            }
        }
    }
    t.elapsed().as_secs_f64()
}

/// One kvps operation of the 1 KiB rows: values as blobs (made once, as the peers get one
/// `Bytes`), which a store with ZERO_COPY keeps and hands back without a copy.
fn kvps_op(s: &kvps::Store, op: Op, key: &str, blob: &kvps::Blob) -> Res<()> {
    match op {
        Op::Put => s.put_blob(key, blob)?,
        Op::Get => {
            std::hint::black_box(s.get_blob(key)?.ok_or("missing")?);
        }
        Op::Stat => {
            s.stat(key)?.ok_or("missing")?;
        }
        Op::Delete => s.delete(key)?,
    }
    Ok(())
}

fn timed(
    imp: &Imp,
    rt: &Runtime,
    threads: usize,
    keys: &Arc<Vec<String>>,
    op: Op,
    value: &Bytes,
    blob: &kvps::Blob,
) -> f64 {
    let per = keys.len() / threads;
    let one = |k: &str| match imp {
        Imp::Kvps(s) => kvps_op(s, op, k, blob),
        _ => sync_op(imp, op, k, value),
    };
    match imp {
        Imp::Async(peer) => rt.block_on(async {
            if threads == 1 {
                let t = Instant::now();
                for k in keys.iter() {
                    async_op(peer, op, k, value).await.unwrap();
                }
                return t.elapsed().as_secs_f64();
            }
            let t = Instant::now();
            let tasks: Vec<_> = (0..threads)
                .map(|th| {
                    let (peer, keys, value) = (peer.clone(), keys.clone(), value.clone());
                    tokio::spawn(async move {
                        for k in &keys[th * per..(th + 1) * per] {
                            async_op(&peer, op, k, &value).await.unwrap();
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            t.elapsed().as_secs_f64()
        }),
        _ => {
            if threads == 1 {
                let t = Instant::now();
                for k in keys.iter() {
                    one(k).unwrap();
                }
                return t.elapsed().as_secs_f64();
            }
            // The row's time is the workers' own: from the first one past the barrier to the
            // last one done. (A clock read by the spawning thread after the barrier ran late
            // whenever that thread waited for a core while the workers ran.)
            let start = Barrier::new(threads);
            let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
                let workers: Vec<_> = (0..threads)
                    .map(|th| {
                        let (start, keys, one) = (&start, &keys, &one);
                        s.spawn(move || {
                            start.wait();
                            let began = Instant::now();
                            for k in &keys[th * per..(th + 1) * per] {
                                one(k).unwrap();
                            }
                            (began, Instant::now())
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().unwrap()).collect()
            });
            let first = spans.iter().map(|s| s.0).min().unwrap();
            let last = spans.iter().map(|s| s.1).max().unwrap();
            (last - first).as_secs_f64()
        }
    }
}

// ------------------------------------------------------------------ whole-prefix work

fn fill(imp: &Imp, rt: &Runtime, keys: &[String], value: &[u8]) {
    match imp {
        Imp::Kvps(s) => {
            for part in keys.chunks(1000) {
                for r in s.put_many(part.iter().map(|k| (k, value))) {
                    r.unwrap();
                }
            }
        }
        Imp::Async(peer) => rt.block_on(async {
            let v = Bytes::copy_from_slice(value);
            futures::stream::iter(keys)
                .map(|k| async_op(peer, Op::Put, k, &v))
                .buffer_unordered(16)
                .try_collect::<Vec<_>>()
                .await
                .unwrap();
        }),
        _ => {
            for k in keys {
                sync_op(imp, Op::Put, k, value).unwrap();
            }
        }
    }
}

fn count(imp: &Imp, rt: &Runtime, prefix: &str) -> usize {
    match imp {
        Imp::Kvps(s) => s.list(prefix).try_fold(0, |n, e| e.map(|_| n + 1)).unwrap(),
        Imp::LimitMem(m) => {
            let m = m.lock().unwrap();
            let mut keys: Vec<&String> = m.keys().filter(|k| k.starts_with(prefix)).collect();
            keys.sort();
            keys.len()
        }
        Imp::LimitFile(root) => {
            let p = prefix.replace('/', "%");
            std::fs::read_dir(root)
                .unwrap()
                .map(|e| e.unwrap())
                .filter(|e| e.file_name().to_string_lossy().starts_with(&p))
                .filter(|e| e.metadata().is_ok())
                .count()
        }
        Imp::Async(Peer::Os(s)) => rt.block_on(async {
            s.list(Some(&OPath::from(prefix)))
                .try_fold(
                    0,
                    |n, _| async move { Ok::<usize, object_store::Error>(n + 1) },
                )
                .await
                .unwrap()
        }),
        Imp::Async(Peer::Dal(o)) => rt.block_on(async {
            let mut lister = o.lister_with(prefix).recursive(true).await.unwrap();
            let mut n = 0;
            while let Some(e) = lister.try_next().await.unwrap() {
                if e.metadata().is_file() {
                    n += 1;
                }
            }
            n
        }),
    }
}

fn delete_many(imp: &Imp, rt: &Runtime, keys: &[String]) {
    match imp {
        Imp::Kvps(s) => {
            for r in s.delete_many(keys) {
                r.unwrap();
            }
        }
        Imp::Async(Peer::Os(s)) => rt.block_on(async {
            let paths = futures::stream::iter(
                keys.iter()
                    .map(|k| Ok::<_, object_store::Error>(OPath::from(k.as_str()))),
            );
            s.delete_stream(paths.boxed())
                .try_collect::<Vec<_>>()
                .await
                .unwrap();
        }),
        Imp::Async(Peer::Dal(o)) => rt.block_on(async {
            o.delete_iter(keys.iter().map(|k| k.as_str()))
                .await
                .unwrap()
        }),
        _ => {
            for k in keys {
                sync_op(imp, Op::Delete, k, b"").unwrap();
            }
        }
    }
}

// ------------------------------------------------------------------ streams, in a child

fn stream_in(
    imp: &Imp,
    rt: &Runtime,
    key: &str,
    size: usize,
    chunk: &Bytes,
    blob: &kvps::Blob,
) -> Res<()> {
    let pieces =
        || (0..size.div_ceil(CHUNK)).map(move |i| chunk.slice(..CHUNK.min(size - i * CHUNK)));
    match imp {
        // kvps's zero-copy form, as the peers take Bytes: whole chunks as the blob (made once,
        // as the peers' Bytes is), a last partial one copied.
        Imp::Kvps(s) => {
            let mut w = s.writer(key)?;
            for c in pieces() {
                if c.len() == blob.len() {
                    w.write_blob(blob)?;
                } else {
                    w.write_all(&c)?;
                }
            }
            w.commit()?;
        }
        Imp::LimitMem(m) => {
            let mut v = Vec::new();
            for c in pieces() {
                v.extend_from_slice(&c);
            }
            m.lock().unwrap().insert(key.to_string(), v);
        }
        Imp::LimitFile(root) => {
            let p = flat(root, key);
            let tmp = p.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp)?;
            for c in pieces() {
                f.write_all(&c)?;
            }
            drop(f);
            std::fs::rename(tmp, p)?;
        }
        Imp::Async(Peer::Os(s)) => rt.block_on(async {
            let upload = s.put_multipart(&OPath::from(key)).await?;
            let mut w = WriteMultipart::new_with_chunk_size(upload, CHUNK);
            for c in pieces() {
                w.wait_for_capacity(4).await?;
                w.put(c);
            }
            w.finish().await?;
            Res::Ok(())
        })?,
        Imp::Async(Peer::Dal(o)) => rt.block_on(async {
            let mut w = o.writer_with(key).chunk(CHUNK).await?;
            for c in pieces() {
                w.write(c).await?;
            }
            w.close().await?;
            Res::Ok(())
        })?,
    }
    Ok(())
}

fn stream_out(imp: &Imp, rt: &Runtime, key: &str, buf: &mut [u8]) -> Res<usize> {
    let mut total = 0;
    match imp {
        // Where the store hands out its own blocks (memory://: slices of the stored value, no
        // copy), as the peers hand out Bytes; elsewhere into one reused buffer, which keeps
        // memory flat (a blob read there would be a new block each time).
        Imp::Kvps(s) if s.capabilities().contains(kvps::Capabilities::ZERO_COPY) => {
            let mut r = s.reader(key)?.ok_or("missing")?;
            while let Some(b) = r.read_blob(buf.len())? {
                total += b.len();
            }
        }
        Imp::Kvps(s) => {
            let mut r = s.reader(key)?.ok_or("missing")?;
            loop {
                let n = r.read(buf)?;
                if n == 0 {
                    break;
                }
                total += n;
            }
        }
        Imp::LimitMem(m) => {
            let m = m.lock().unwrap();
            let v = m.get(key).ok_or("missing")?;
            for c in v.chunks(buf.len()) {
                buf[..c.len()].copy_from_slice(c);
                total += c.len();
            }
        }
        Imp::LimitFile(root) => {
            let mut f = std::fs::File::open(flat(root, key))?;
            loop {
                let n = f.read(buf)?;
                if n == 0 {
                    break;
                }
                total += n;
            }
        }
        Imp::Async(Peer::Os(s)) => rt.block_on(async {
            let mut st = s.get(&OPath::from(key)).await?.into_stream();
            while let Some(c) = st.try_next().await? {
                total += c.len();
            }
            Res::Ok(())
        })?,
        Imp::Async(Peer::Dal(o)) => rt.block_on(async {
            let r = o.reader_with(key).chunk(CHUNK).await?;
            let mut st = r.into_bytes_stream(..).await?;
            while let Some(c) = st.try_next().await? {
                total += c.len();
            }
            Res::Ok(())
        })?,
    }
    Ok(total)
}

/// VmRSS or VmHWM (the peak) of this process, in KiB.
fn rss(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Resets the peak RSS to the current one and returns it, in KiB.
fn rss_reset() -> f64 {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    rss("VmRSS")
}

fn child(a: &Args) {
    let rt = runtime();
    let imp = make(&a.imp, &a.backend, &a.root);
    let chunk = Bytes::from(random(CHUNK));
    let blob = kvps::Blob::from(&chunk[..]);
    let mut buf = vec![0u8; CHUNK];
    buf.fill(1);
    let size = a.mib * MIB;
    let mut out = serde_json::Map::new();
    let mut base = rss_reset();
    if a.child == "in" || a.child == "inout" {
        let t = Instant::now();
        stream_in(&imp, &rt, &a.key, size, &chunk, &blob).unwrap();
        out.insert("in_s".into(), json!(t.elapsed().as_secs_f64()));
        out.insert("in_rss_mib".into(), json!((rss("VmHWM") - base) / 1024.0));
    }
    if a.child == "out" || a.child == "inout" {
        base = rss_reset();
        let t = Instant::now();
        let got = stream_out(&imp, &rt, &a.key, &mut buf).unwrap();
        out.insert("out_s".into(), json!(t.elapsed().as_secs_f64()));
        out.insert("out_rss_mib".into(), json!((rss("VmHWM") - base) / 1024.0));
        assert_eq!(got, size, "{} streamed out {got} of {size}", a.imp);
    }
    println!("{}", Value::Object(out));
}

fn run_child(mode: &str, imp: &str, backend: &str, root: &str, key: &str, mib: usize) -> Value {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--child",
            mode,
            "--impl",
            imp,
            "--backend",
            backend,
            "--root",
            root,
        ])
        .args(["--key", key, "--mib", &mib.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child {mode} {imp} {backend} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.trim().lines().last().unwrap()).unwrap()
}

// ------------------------------------------------------------------ the run

fn random(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ std::process::id() as u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[derive(Default)]
struct Args {
    smoke: bool,
    reps: usize,
    backends: String,
    list_n: usize,
    delete_n: usize,
    stream_mib: usize,
    scale: f64,
    child: String,
    imp: String,
    backend: String,
    root: String,
    key: String,
    mib: usize,
    only: String,
    impls: String,
}

fn args() -> Args {
    let mut a = Args {
        reps: 5,
        backends: "memory,file,s3".into(),
        scale: 1.0,
        ..Default::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--smoke" {
            a.smoke = true;
            continue;
        }
        let v = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let num = || v.parse::<usize>().unwrap();
        match flag.as_str() {
            "--reps" => a.reps = num(),
            "--backends" => a.backends = v.clone(),
            "--list-n" => a.list_n = num(),
            "--delete-n" => a.delete_n = num(),
            "--stream-mib" => a.stream_mib = num(),
            "--scale" => a.scale = v.parse().unwrap(),
            "--child" => a.child = v.clone(),
            "--impl" => a.imp = v.clone(),
            "--backend" => a.backend = v.clone(),
            "--root" => a.root = v.clone(),
            "--key" => a.key = v.clone(),
            "--mib" => a.mib = num(),
            "--only" => a.only = v.clone(),
            "--impls" => a.impls = v.clone(),
            _ => panic!("unknown argument {flag}"),
        }
    }
    a
}

fn main() {
    let a = args();
    if !a.child.is_empty() {
        return child(&a);
    }
    let smoke = a.smoke;
    // --only small,mib,list,delete,stream: those workloads alone (default: all)
    let want = |w: &str| a.only.is_empty() || a.only.split(',').any(|o| o == w);
    let reps = if smoke { 1 } else { a.reps };
    let list_n = if a.list_n > 0 {
        a.list_n
    } else if smoke {
        200
    } else {
        100_000
    };
    let delete_n = if a.delete_n > 0 {
        a.delete_n
    } else if smoke {
        100
    } else {
        10_000
    };
    let stream_mib = if a.stream_mib > 0 {
        a.stream_mib
    } else if smoke {
        8
    } else {
        1024
    };
    let scale = |m: &[(&'static str, usize)], min: usize| -> HashMap<&'static str, usize> {
        m.iter()
            .map(|&(k, v)| (k, min.max((v as f64 * a.scale) as usize)))
            .collect()
    };
    let (small_n, mib_n) = if smoke {
        (
            scale(&[("memory", 512), ("file", 64), ("s3", 32)], 16),
            scale(&[("memory", 4), ("file", 4), ("s3", 2)], 2),
        )
    } else {
        (
            scale(&[("memory", 100_000), ("file", 4_000), ("s3", 3_200)], 64),
            scale(&[("memory", 500), ("file", 100), ("s3", 40)], 4),
        )
    };
    let backends: Vec<String> = a
        .backends
        .split(',')
        .filter(|b| !b.is_empty())
        .map(String::from)
        .collect();
    // A name no backend of the run knows is a typo: refuse it rather than measure nothing.
    for name in a.impls.split(',').filter(|n| !n.is_empty()) {
        if !backends.iter().any(|b| impls(b).contains(&name)) {
            eprintln!("--impls: no implementation {name:?} on {}", a.backends);
            std::process::exit(2);
        }
    }
    let rt = runtime();
    let root = std::env::temp_dir().join(format!("kvps-peers-rust-{}", std::process::id()));
    let root = match std::env::var_os("KVPS_BENCH_TMP") {
        Some(dir) => PathBuf::from(dir).join(root.file_name().unwrap()),
        None => root,
    };
    std::fs::create_dir_all(&root).unwrap();
    let root_s = root.to_str().unwrap().to_string();
    let run = format!(
        "peers-rust-{}-{}/",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    );
    let began = Instant::now();
    let mut results: Vec<Value> = Vec::new();
    let mut rec = |b: &str, w: &str, unit: &str, imp: &str, v: f64| {
        results.push(json!({"backend": b, "workload": w, "unit": unit, "impl": imp, "value": v}));
    };
    let small = Bytes::from(random(KIB));
    let big = Bytes::from(random(MIB));
    let big_blob = kvps::Blob::from(&big[..]);
    let small_blob = kvps::Blob::from(&small[..]);
    let log =
        |b: &str, msg: &str| eprintln!("[{:6.1}s] rust {b}: {msg}", began.elapsed().as_secs_f64());

    for backend in &backends {
        let backend = backend.as_str();
        let mut names = impls(backend);
        if !a.impls.is_empty() {
            names.retain(|n| a.impls.split(',').any(|o| o == *n));
        }
        let imps: HashMap<&str, Imp> = names
            .iter()
            .map(|&n| (n, make(n, backend, &root_s)))
            .collect();
        let filler = (backend == "s3").then(|| make("filler", backend, &root_s));
        let order = |rep: usize| {
            let k = rep % names.len();
            names[k..]
                .iter()
                .chain(&names[..k])
                .copied()
                .collect::<Vec<_>>()
        };
        let p = |n: &str| format!("{run}{}/", n.replace(' ', "_"));

        for threads in [1, 16] {
            if !want("small") {
                break;
            }
            for rep in 0..reps {
                for n in order(rep) {
                    let cnt = small_n[backend] / threads * threads;
                    let keys: Arc<Vec<String>> = Arc::new(
                        (0..cnt)
                            .map(|i| format!("{}small/{rep}/{threads}/{i:06}", p(n)))
                            .collect(),
                    );
                    let suffix = if threads > 1 { "s" } else { "" };
                    for (name, op) in [
                        ("put", Op::Put),
                        ("get", Op::Get),
                        ("stat", Op::Stat),
                        ("delete", Op::Delete),
                    ] {
                        let secs = timed(&imps[n], &rt, threads, &keys, op, &small, &small_blob);
                        rec(
                            backend,
                            &format!("1 KiB {name}, {threads} thread{suffix}"),
                            "ops/s",
                            n,
                            cnt as f64 / secs,
                        );
                    }
                }
            }
            log(backend, &format!("1 KiB ops at {threads} threads done"));
        }
        for rep in 0..reps {
            if !want("mib") {
                break;
            }
            for n in order(rep) {
                let cnt = mib_n[backend];
                let keys: Arc<Vec<String>> = Arc::new(
                    (0..cnt)
                        .map(|i| format!("{}mib/{rep}/{i:04}", p(n)))
                        .collect(),
                );
                let put = timed_mib(&imps[n], &rt, &keys, Op::Put, &big, &big_blob);
                let get = timed_mib(&imps[n], &rt, &keys, Op::Get, &big, &big_blob);
                let mbs = (cnt * MIB) as f64 / 1e6;
                rec(backend, "1 MiB put", "MB/s", n, mbs / put);
                rec(backend, "1 MiB get", "MB/s", n, mbs / get);
                delete_many(&imps[n], &rt, &keys);
            }
        }
        log(backend, "1 MiB ops done");

        // Listing: one filled prefix per implementation (kvps fsync shares kvps's folder); on
        // s3:// one prefix, filled by kvps, serves all.
        let list_keys = |prefix: &str| -> Vec<String> {
            (0..list_n).map(|i| format!("{prefix}{i:07}")).collect()
        };
        let lp = |n: &str| match (backend, n) {
            ("s3", _) => format!("{run}list/"),
            (_, "kvps fsync") => format!("{}list/", p("kvps")),
            _ => format!("{}list/", p(n)),
        };
        if want("list") {
            let fillers: Vec<&str> = match backend {
                "s3" => vec![names[0]],
                _ => names
                    .iter()
                    .copied()
                    .filter(|&n| n != "kvps fsync")
                    .collect(),
            };
            for &n in &fillers {
                fill(pick(&filler, &imps, n), &rt, &list_keys(&lp(n)), b"x");
            }
            log(backend, &format!("filled {list_n} keys for listing"));
            for rep in 0..reps {
                for n in order(rep) {
                    let t = Instant::now();
                    let got = count(&imps[n], &rt, &lp(n));
                    let secs = t.elapsed().as_secs_f64();
                    assert_eq!(got, list_n, "{n} listed {got} of {list_n}");
                    rec(
                        backend,
                        &format!("list {list_n} keys"),
                        "keys/s",
                        n,
                        list_n as f64 / secs,
                    );
                }
            }
            for &n in &fillers {
                delete_many(pick(&filler, &imps, n), &rt, &list_keys(&lp(n)));
            }
            log(backend, "listing done");
        }

        for rep in 0..reps {
            if !want("delete") {
                break;
            }
            for n in order(rep) {
                let keys: Vec<String> = (0..delete_n)
                    .map(|i| format!("{}del{rep}/{i:06}", p(n)))
                    .collect();
                fill(pick(&filler, &imps, n), &rt, &keys, b"x");
                let t = Instant::now();
                delete_many(&imps[n], &rt, &keys);
                let secs = t.elapsed().as_secs_f64();
                rec(
                    backend,
                    &format!("batch delete {delete_n} keys"),
                    "keys/s",
                    n,
                    delete_n as f64 / secs,
                );
            }
        }
        log(backend, "batch delete done");

        for rep in 0..reps {
            if !want("stream") {
                break;
            }
            for n in order(rep) {
                let key = format!("{}stream", p(n));
                let r = if backend == "memory" {
                    // the store lives in the process
                    run_child("inout", n, backend, &root_s, &key, stream_mib)
                } else {
                    let mut r = run_child("in", n, backend, &root_s, &key, stream_mib);
                    let o = run_child("out", n, backend, &root_s, &key, stream_mib);
                    for (k, v) in o.as_object().unwrap() {
                        r[k] = v.clone();
                    }
                    sync_or_async_delete(&imps[n], &rt, &key);
                    r
                };
                let size = (stream_mib * MIB) as f64 / 1e6;
                let f = |k: &str| r[k].as_f64().unwrap();
                rec(
                    backend,
                    &format!("{stream_mib} MiB streamed in"),
                    "MB/s",
                    n,
                    size / f("in_s"),
                );
                rec(
                    backend,
                    &format!("{stream_mib} MiB streamed out"),
                    "MB/s",
                    n,
                    size / f("out_s"),
                );
                rec(
                    backend,
                    &format!("{stream_mib} MiB streamed in: peak RSS"),
                    "MiB",
                    n,
                    f("in_rss_mib"),
                );
                if backend != "memory" {
                    rec(
                        backend,
                        &format!("{stream_mib} MiB streamed out: peak RSS"),
                        "MiB",
                        n,
                        f("out_rss_mib"),
                    );
                }
            }
        }
        log(backend, "streams done");
    }
    let _ = std::fs::remove_dir_all(&root);
    let doc = json!({
        "lang": "rust",
        "versions": {
            "rustc": option_env!("KVPS_BENCH_RUSTC").unwrap_or("?"),
            "kvps": kvps::version(),
            "object_store": OBJECT_STORE_VERSION,
            "opendal": OPENDAL_VERSION,
        },
        "results": results,
        "seconds": began.elapsed().as_secs(),
        "counts": {"1 KiB ops per repetition": small_n, "1 MiB values per repetition": mib_n,
                   "list": list_n, "delete": delete_n, "stream MiB": stream_mib},
        "reps": reps,
    });
    println!("{doc}");
}

/// The store that fills a prefix for implementation n: kvps with 64 connections on s3://.
fn pick<'a>(filler: &'a Option<Imp>, imps: &'a HashMap<&str, Imp>, n: &str) -> &'a Imp {
    filler.as_ref().unwrap_or(&imps[n])
}

fn sync_or_async_delete(imp: &Imp, rt: &Runtime, key: &str) {
    match imp {
        Imp::Async(peer) => rt
            .block_on(async_op(peer, Op::Delete, key, &Bytes::new()))
            .unwrap(),
        _ => sync_op(imp, Op::Delete, key, b"").unwrap(),
    }
}
