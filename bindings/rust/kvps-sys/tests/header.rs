//! Checks that the hand-written declarations in src/lib.rs match kvps.h.
//!
//! - Function signatures: every `KVPS_API` function of the header is parsed, its C types are
//!   translated to the Rust types they must be declared with, and the result is compared with
//!   the `extern "C"` block of src/lib.rs, parameter by parameter.
//! - Constants: a small C program, compiled against the header, prints every enumerator and
//!   numeric macro plus every struct's size and field offsets; the Rust values must agree.
//! - Runtime: the linked library names every status and option type as the constants say.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

use kvps_sys::*;

const RUST_SOURCE: &str = include_str!("../src/lib.rs");

fn header_path() -> PathBuf {
    Path::new(env!("KVPS_SYS_INCLUDE_DIR")).join("kvps.h")
}

fn header() -> String {
    let path = header_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The header without comments and preprocessor lines, whitespace collapsed.
fn header_code(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    let lines: Vec<&str> = out
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| line.split("//").next().unwrap())
        .collect();
    lines
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ------------------------------------------------------------------ functions

#[derive(Debug, PartialEq)]
struct Signature {
    params: Vec<(String, String)>, // (name, Rust type)
    ret: String,                   // Rust type, "" for void
}

/// Translates a C type (without the declarator name) into the Rust type it is declared as.
fn rust_type(c: &str) -> String {
    let spaced = c.replace('*', " * ");
    let mut tokens = spaced.split_whitespace().peekable();
    let mut base_const = false;
    let mut base = Vec::new();
    while let Some(&token) = tokens.peek() {
        if token == "*" {
            break;
        }
        if token == "const" {
            base_const = true;
        } else {
            base.push(token);
        }
        tokens.next();
    }
    let mut rust = match base.join(" ").as_str() {
        "void" => "c_void".to_string(),
        "char" => "c_char".to_string(),
        "int" => "c_int".to_string(),
        "unsigned int" => "c_uint".to_string(),
        "size_t" => "usize".to_string(),
        "uint64_t" => "u64".to_string(),
        "int64_t" => "i64".to_string(),
        name if name.starts_with("kvps_") => name.to_string(),
        other => panic!("no Rust type known for C type `{other}` in `{c}`"),
    };
    // Each `*` wraps what came before; its Rust mutability is the constness of what it
    // points to, and a `const` after it makes the pointer itself const for the next level.
    let mut pointee_const = base_const;
    for token in tokens {
        match token {
            "*" => {
                rust = format!("*{} {rust}", if pointee_const { "const" } else { "mut" });
                pointee_const = false;
            }
            "const" => pointee_const = true,
            other => panic!("unexpected `{other}` in C type `{c}`"),
        }
    }
    if rust == "c_void" {
        String::new()
    } else {
        rust
    }
}

/// Splits `const char *url` into (name, type).
fn split_c_param(param: &str) -> (String, String) {
    let param = param.trim();
    let at = param
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .expect("parameter without a type");
    (param[at + 1..].to_string(), rust_type(&param[..at + 1]))
}

fn header_functions(code: &str) -> BTreeMap<String, Signature> {
    let mut functions = BTreeMap::new();
    for declaration in code.split("KVPS_API").skip(1) {
        let declaration = declaration.split(';').next().unwrap();
        let open = declaration.find('(').unwrap();
        let close = declaration.rfind(')').unwrap();
        let head = &declaration[..open];
        let name_at = head
            .trim_end()
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'));
        let name_at = name_at.map_or(0, |i| i + 1);
        let name = head[name_at..].trim().to_string();
        let ret = rust_type(&head[..name_at]);
        let inner = declaration[open + 1..close].trim();
        let params = if inner == "void" {
            Vec::new()
        } else {
            inner.split(',').map(split_c_param).collect()
        };
        functions.insert(name, Signature { params, ret });
    }
    functions
}

fn rust_functions(source: &str) -> BTreeMap<String, Signature> {
    let block_start = source.find("extern \"C\" {").expect("no extern block");
    let block = &source[block_start..];
    let block = &block[..block.find("\n}").unwrap()];
    let block = block.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut functions = BTreeMap::new();
    for declaration in block.split("pub fn ").skip(1) {
        let declaration = declaration.split(';').next().unwrap();
        let open = declaration.find('(').unwrap();
        let close = declaration.rfind(')').unwrap();
        let name = declaration[..open].trim().to_string();
        let params = declaration[open + 1..close]
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (name, ty) = p.split_once(':').unwrap();
                (
                    name.trim().trim_end_matches('_').to_string(),
                    ty.trim().to_string(),
                )
            })
            .collect();
        let ret = declaration[close + 1..]
            .trim()
            .trim_start_matches("->")
            .trim()
            .to_string();
        functions.insert(name, Signature { params, ret });
    }
    functions
}

#[test]
fn function_signatures_match_the_header() {
    let header = header_functions(&header_code(&header()));
    let rust = rust_functions(RUST_SOURCE);
    assert!(header.len() >= 35, "parsed only {} functions", header.len());
    let header_names: Vec<_> = header.keys().collect();
    let rust_names: Vec<_> = rust.keys().collect();
    assert_eq!(header_names, rust_names, "function sets differ");
    for (name, signature) in &header {
        assert_eq!(Some(signature), rust.get(name), "signature of {name}");
    }
}

#[test]
fn the_type_translation_is_right() {
    assert_eq!(rust_type("const void *const *"), "*const *const c_void");
    assert_eq!(rust_type("kvps_store **"), "*mut *mut kvps_store");
    assert_eq!(rust_type("const kvps_store *"), "*const kvps_store");
    assert_eq!(rust_type("const char *const *"), "*const *const c_char");
    assert_eq!(rust_type("void **"), "*mut *mut c_void");
    assert_eq!(rust_type("void"), "");
    assert_eq!(rust_type("size_t"), "usize");
}

// ------------------------------------------------------------------ constants and layouts

/// Names of the enumerators and value macros of the header.
fn header_constant_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("#define ") {
            let name = rest.split_whitespace().next().unwrap();
            // The include guard, the export macro and the struct initializers are not values.
            if !["KVPS_H", "KVPS_API"].contains(&name)
                && !name.ends_with("_INIT")
                && !name.contains('(')
            {
                names.push(name.to_string());
            }
        }
    }
    let code = header_code(text);
    for body in code.split("typedef enum").skip(1) {
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
        for item in body.split(',') {
            names.push(item.split('=').next().unwrap().trim().to_string());
        }
    }
    names.sort();
    names
}

/// (struct name, field names) of every struct the header defines.
fn header_structs(text: &str) -> Vec<(String, Vec<String>)> {
    let code = header_code(text);
    let mut structs = Vec::new();
    for body in code.split("typedef struct").skip(1) {
        let Some(open) = body.find('{') else { continue }; // an opaque handle
        if body[..open].contains(';') {
            continue;
        }
        let close = body.find('}').unwrap();
        let name = body[close + 1..]
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_string();
        let fields = body[open + 1..close]
            .split(';')
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                let f = f.split('[').next().unwrap().trim();
                let at = f
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap();
                f[at + 1..].to_string()
            })
            .collect();
        structs.push((name, fields));
    }
    structs
}

/// Compiles and runs a C program that prints `name value` for every constant and
/// `struct.field offset` / `struct size` for every struct.
fn c_values(constants: &[String], structs: &[(String, Vec<String>)]) -> BTreeMap<String, String> {
    let mut program = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"kvps.h\"\nint main(void) {\n",
    );
    for name in constants {
        if name == "KVPS_VERSION_STRING" {
            program.push_str(&format!("  printf(\"{name} %s\\n\", {name});\n"));
        } else {
            program.push_str(&format!(
                "  printf(\"{name} %llu\\n\", (unsigned long long)({name}));\n"
            ));
        }
    }
    for (name, fields) in structs {
        program.push_str(&format!("  printf(\"{name} %zu\\n\", sizeof({name}));\n"));
        for field in fields {
            program.push_str(&format!(
                "  printf(\"{name}.{field} %zu\\n\", offsetof({name}, {field}));\n"
            ));
        }
    }
    program.push_str("  return 0;\n}\n");

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kvps-sys-header");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("values.c");
    let binary = dir.join("values");
    std::fs::write(&source, program).unwrap();
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&compiler)
        .arg("-std=c99")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(env!("KVPS_SYS_INCLUDE_DIR"))
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{compiler}`: {e}"));
    assert!(status.success(), "compiling {} failed", source.display());
    let output = Command::new(&binary).output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once(' ').unwrap();
            (name.to_string(), value.to_string())
        })
        .collect()
}

macro_rules! values {
    ($($name:ident),* $(,)?) => {
        BTreeMap::from([$((stringify!($name).to_string(), $name.to_string())),*])
    };
}

macro_rules! layouts {
    ($($ty:ident { $($field:ident => $c_field:literal),* $(,)? }),* $(,)?) => {{
        let mut map = BTreeMap::new();
        $(
            map.insert(stringify!($ty).to_string(), size_of::<$ty>().to_string());
            $(map.insert(
                format!("{}.{}", stringify!($ty), $c_field),
                offset_of!($ty, $field).to_string(),
            );)*
        )*
        map
    }};
}

fn rust_values() -> BTreeMap<String, String> {
    let mut values = values![
        KVPS_VERSION_MAJOR,
        KVPS_VERSION_MINOR,
        KVPS_VERSION_PATCH,
        KVPS_VERSION_STRING,
        KVPS_VERSION_NUMBER,
        KVPS_OK,
        KVPS_NOT_FOUND,
        KVPS_INVALID_ARGUMENT,
        KVPS_INVALID_URL,
        KVPS_UNKNOWN_SCHEME,
        KVPS_INVALID_OPTION,
        KVPS_INVALID_KEY,
        KVPS_PERMISSION_DENIED,
        KVPS_PRECONDITION_FAILED,
        KVPS_IO,
        KVPS_NETWORK,
        KVPS_TIMEOUT,
        KVPS_REMOTE,
        KVPS_UNSUPPORTED,
        KVPS_NO_MEMORY,
        KVPS_INTERNAL,
        KVPS_NO_SPACE,
        KVPS_CANCELLED,
        KVPS_OUTCOME_UNKNOWN,
        KVPS_CORRUPT,
        KVPS_NO_CREDENTIALS,
        KVPS_LIST_OPTIONS_VERSION,
        KVPS_CAP_RANGE,
        KVPS_CAP_READ_STREAM,
        KVPS_CAP_WRITE_STREAM,
        KVPS_CAP_LIST,
        KVPS_CAP_BATCH,
        KVPS_CAP_PERSISTENT,
        KVPS_CAP_SHARED,
        KVPS_CAP_ZERO_COPY,
        KVPS_KEY_MAX,
        KVPS_TO_END,
        KVPS_ETAG_MAX,
        KVPS_STAT_VERSION,
        KVPS_CONTENT_TYPE_MAX,
        KVPS_METADATA_MAX,
        KVPS_PUT_OPTIONS_VERSION,
        KVPS_OPTION_STRING,
        KVPS_OPTION_BOOL,
        KVPS_OPTION_INTEGER,
        KVPS_OPTION_SIZE,
        KVPS_OPTION_DURATION,
        KVPS_OPTION_URL,
        KVPS_OPTION_SECRET,
        KVPS_LOG_ERROR,
        KVPS_LOG_WARN,
        KVPS_LOG_INFO,
        KVPS_LOG_DEBUG,
        KVPS_ASYNC_OPTIONS_VERSION,
    ];
    values.extend(layouts![
        kvps_option { name => "name", value => "value" },
        kvps_stat_info {
            version => "version", size => "size", mtime_ns => "mtime_ns", etag => "etag",
            content_type => "content_type", metadata_count => "metadata_count",
            metadata => "metadata"
        },
        kvps_put_options {
            version => "version", create_only => "create_only", if_match => "if_match",
            content_type => "content_type", metadata => "metadata",
            metadata_count => "metadata_count", etag_out => "etag_out"
        },
        kvps_entry { key => "key", size => "size", mtime_ns => "mtime_ns", etag => "etag" },
        kvps_list_options {
            version => "version", prefix => "prefix", cursor => "cursor",
            start_after => "start_after", delimiter => "delimiter", page_size => "page_size"
        },
        kvps_option_info {
            name => "name", type_ => "type", default_value => "default_value",
            required => "required", description => "description", aliases => "aliases",
            alias_count => "alias_count"
        },
        kvps_backend_info {
            name => "name", description => "description", schemes => "schemes",
            scheme_count => "scheme_count", option_count => "option_count",
            capabilities => "capabilities"
        },
        kvps_async_options {
            version => "version", callback => "callback", user => "user", queue => "queue",
            timeout_ms => "timeout_ms"
        },
    ]);
    values
}

#[test]
fn constants_and_layouts_match_the_header() {
    let text = header();
    let constants = header_constant_names(&text);
    let structs = header_structs(&text);
    assert!(
        constants.len() >= 40,
        "parsed only {} constants",
        constants.len()
    );
    assert_eq!(structs.len(), 8, "parsed structs: {structs:?}");

    // Every constant the Rust source declares exists in the header, and the other way round.
    let mut rust_names: Vec<String> = RUST_SOURCE
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub const KVPS_"))
        .map(|rest| format!("KVPS_{}", rest.split(':').next().unwrap()))
        .collect();
    rust_names.sort();
    assert_eq!(constants, rust_names, "constant sets differ");

    let expected = c_values(&constants, &structs);
    let actual = rust_values();
    for (name, value) in &expected {
        assert_eq!(Some(value), actual.get(name), "value of {name}");
    }
    assert_eq!(
        expected.len(),
        actual.len(),
        "the test's own table is incomplete"
    );
}

// ------------------------------------------------------------------ runtime

fn text(p: *const std::ffi::c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the library returns NUL-terminated strings in static storage.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
}

#[test]
fn the_linked_library_agrees() {
    // SAFETY: these functions take no pointers and return static strings.
    unsafe {
        assert_eq!(kvps_version_number(), KVPS_VERSION_NUMBER);
        assert_eq!(text(kvps_version()), KVPS_VERSION_STRING);
        let statuses = [
            (KVPS_OK, "KVPS_OK"),
            (KVPS_NOT_FOUND, "KVPS_NOT_FOUND"),
            (KVPS_INVALID_ARGUMENT, "KVPS_INVALID_ARGUMENT"),
            (KVPS_INVALID_URL, "KVPS_INVALID_URL"),
            (KVPS_UNKNOWN_SCHEME, "KVPS_UNKNOWN_SCHEME"),
            (KVPS_INVALID_OPTION, "KVPS_INVALID_OPTION"),
            (KVPS_INVALID_KEY, "KVPS_INVALID_KEY"),
            (KVPS_PERMISSION_DENIED, "KVPS_PERMISSION_DENIED"),
            (KVPS_PRECONDITION_FAILED, "KVPS_PRECONDITION_FAILED"),
            (KVPS_IO, "KVPS_IO"),
            (KVPS_NETWORK, "KVPS_NETWORK"),
            (KVPS_TIMEOUT, "KVPS_TIMEOUT"),
            (KVPS_REMOTE, "KVPS_REMOTE"),
            (KVPS_UNSUPPORTED, "KVPS_UNSUPPORTED"),
            (KVPS_NO_MEMORY, "KVPS_NO_MEMORY"),
            (KVPS_INTERNAL, "KVPS_INTERNAL"),
            (KVPS_NO_SPACE, "KVPS_NO_SPACE"),
            (KVPS_CANCELLED, "KVPS_CANCELLED"),
            (KVPS_OUTCOME_UNKNOWN, "KVPS_OUTCOME_UNKNOWN"),
            (KVPS_CORRUPT, "KVPS_CORRUPT"),
            (KVPS_NO_CREDENTIALS, "KVPS_NO_CREDENTIALS"),
        ];
        for (status, name) in statuses {
            assert_eq!(text(kvps_status_name(status)), name);
        }
        assert_eq!(text(kvps_status_name(9999)), "KVPS_UNKNOWN_STATUS");
        let types = [
            (KVPS_OPTION_STRING, "string"),
            (KVPS_OPTION_BOOL, "bool"),
            (KVPS_OPTION_INTEGER, "integer"),
            (KVPS_OPTION_SIZE, "size"),
            (KVPS_OPTION_DURATION, "duration"),
            (KVPS_OPTION_URL, "url"),
            (KVPS_OPTION_SECRET, "secret"),
        ];
        for (option_type, name) in types {
            assert_eq!(text(kvps_option_type_name(option_type)), name);
        }
        assert_eq!(text(kvps_last_error()), "");
    }
}
