//! Whatever is at a path (a regular file of any bytes, a FIFO with no
//! writer, a folder, a socket, a device, a link to any of these or to
//! nothing, nothing at all), every reader returns at once with `Ok` or a
//! typed error, never waits and never panics; anything but a regular file
//! is refused as not a file. A save and its check before training agree
//! on what they refuse.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use typenet::data::{DataErrorKind, Dataset, Pixels, read_images, read_labels};
use typenet::io::{ModelErrorKind, check_save, load, load_pytorch, save};
use typenet::prelude::*;

type Net = Chain![Affine<[f32; 4], 2>, SoftmaxWithLoss<2>];

/// What a case puts at the path.
#[derive(Clone, Copy, Debug)]
enum Thing {
    File,
    Fifo,
    Folder,
    Socket,
    Device(&'static str),
    Nothing,
}

fn thing() -> impl Strategy<Value = Thing> {
    prop_oneof![
        Just(Thing::File),
        Just(Thing::Fifo),
        Just(Thing::Folder),
        Just(Thing::Socket),
        Just(Thing::Device("/dev/null")),
        Just(Thing::Device("/dev/zero")),
        Just(Thing::Device("/dev/full")),
        Just(Thing::Device("/dev/tty")),
        Just(Thing::Nothing),
    ]
}

/// A fresh folder for one case.
fn case_dir() -> PathBuf {
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let n = CASE.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("typenet-special-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Puts `thing` at `dir/name`, behind `links` symbolic links; returns the
/// path to read, and what a reader must call it if it is not a regular
/// file (`None` for a regular file and for nothing at all).
fn make(
    dir: &Path,
    thing: Thing,
    links: usize,
    bytes: &[u8],
) -> (PathBuf, Option<&'static str>, Option<std::os::unix::net::UnixListener>) {
    let target = dir.join("thing");
    let mut listener = None;
    let found = match thing {
        Thing::File => {
            std::fs::write(&target, bytes).unwrap();
            None
        }
        Thing::Fifo => {
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(&target)
                    .status()
                    .unwrap()
                    .success()
            );
            Some("a FIFO")
        }
        Thing::Folder => {
            std::fs::create_dir(&target).unwrap();
            Some("a directory")
        }
        Thing::Socket => {
            listener = Some(std::os::unix::net::UnixListener::bind(&target).unwrap());
            Some("a socket")
        }
        Thing::Device(device) => {
            symlink(device, &target).unwrap();
            Some("a character device")
        }
        Thing::Nothing => None,
    };
    let mut path = target;
    for k in 0..links {
        let link = dir.join(format!("link{k}"));
        symlink(&path, &link).unwrap();
        path = link;
    }
    (path, found, listener)
}

/// Runs `f` on another thread and gives it ten seconds.
fn at_once<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || send.send(f()));
    receive
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} still waits after 10 s"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn readers_never_wait_and_refuse_what_is_not_a_file(
        thing in thing(),
        links in 0usize..3,
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        if let Thing::Device(device) = thing
            && std::fs::metadata(device).is_err()
        {
            return Ok(()); // no /dev/tty in some containers
        }
        let dir = case_dir();
        let (path, found, _listener) = make(&dir, thing, links, &bytes);

        let p = path.clone();
        let (model, pytorch) = at_once("io::load", move || {
            let mut net: Net = Affine::zeros().then(SoftmaxWithLoss);
            let model = load(&mut net, &p).map_err(|e| e.kind);
            let pytorch = load_pytorch(&mut net, &p).map_err(|e| e.kind);
            (model, pytorch)
        });
        for result in [&model, &pytorch] {
            match (found, result) {
                (Some(found), Err(ModelErrorKind::NotAFile { found: f })) => prop_assert_eq!(*f, found),
                (Some(found), other) => prop_assert!(false, "{} read: {:?}", found, other),
                (None, Err(ModelErrorKind::NotAFile { .. })) => prop_assert!(false, "a regular file refused"),
                (None, _) => {}
            }
        }

        let p = path.clone();
        let (images, labels, set) = at_once("the IDX reader", move || {
            (
                read_images(&p).map(drop).map_err(|e| e.kind),
                read_labels(&p).map(drop).map_err(|e| e.kind),
                Dataset::<[f32; 4], 2>::load(&p, &p, Pixels::Unit).map(drop).map_err(|e| e.kind),
            )
        });
        for result in [&images, &labels, &set] {
            match (found, result) {
                (Some(found), Err(DataErrorKind::NotAFile { found: f })) => prop_assert_eq!(*f, found),
                (Some(found), other) => prop_assert!(false, "{} read: {:?}", found, other),
                (None, Err(DataErrorKind::NotAFile { .. })) => prop_assert!(false, "a regular file refused"),
                (None, _) => {}
            }
        }

        // the check before training refuses exactly what the save refuses
        let p = path.clone();
        let (checked, saved) = at_once("save", move || {
            let checked = check_save(&p).map_err(|e| e.to_string());
            let saved = save(&Affine::<[f32; 4], 2>::zeros().then(SoftmaxWithLoss), &p).map_err(|e| e.to_string());
            (checked, saved)
        });
        prop_assert_eq!(&checked, &saved);
        // a file, or nothing (not a link to nothing: a save does not write through one)
        let writable = matches!(thing, Thing::File) || matches!(thing, Thing::Nothing) && links == 0;
        prop_assert_eq!(checked.is_ok(), writable, "{:?}", checked);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
