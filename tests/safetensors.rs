//! Saving and loading parameters in safetensors: round trips in f32 and
//! f64, a file written by Python's safetensors, and every kind of damage
//! or mismatch refused with the net left as it was.

mod common;

use common::{rng, scratch_dir};
use typenet::io::{ModelErrorKind, from_bytes, load, save, to_bytes};
use typenet::prelude::*;
use typenet::{Layer, Standardize};

type Small<T> = Chain![Affine<[T; 3], 4>, Relu, Affine<[T; 4], 2>, SoftmaxWithLoss<2>];

fn small<T: Scalar>(seed: u64) -> Small<T> {
    let mut g = rng(seed);
    Affine::init(Init::He, &mut g)
        .then(Relu)
        .then(Affine::init(Init::He, &mut g))
        .then(SoftmaxWithLoss)
}

fn round_trip<T: Scalar>() {
    let dir = scratch_dir(&format!("round-trip-{}", std::any::type_name::<T>()));
    let path = dir.join("net.safetensors");
    let mut net = small::<T>(1);
    net.first_mut().first_mut().first_mut().bias_mut()[1] = T::of(0.25);
    save(&net, &path).unwrap();
    let mut copy = small::<T>(2);
    assert_ne!(copy, net);
    load(&mut copy, &path).unwrap();
    assert_eq!(copy, net);
    let x = [T::of(1.0), T::of(-2.0), T::of(0.5)];
    assert_eq!(copy.scores(&x).unwrap(), net.scores(&x).unwrap());
    // the temporary file of the atomic save is gone
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["net.safetensors"]);
}

/// A net's input statistics are its tensors: fitted on data, saved, and
/// loaded into a fresh net, which then standardises with them.
fn standardization_travels_with_the_net<T: Scalar>() {
    let dir = scratch_dir(&format!("standardize-{}", std::any::type_name::<T>()));
    let path = dir.join("net.safetensors");
    let data: Batch<[T; 3]> = Batch::from_rows(vec![
        [10.0, -1.0, 0.5].map(T::of),
        [30.0, 1.0, 0.5].map(T::of),
        [20.0, 3.0, 0.5].map(T::of),
    ]);
    let fitted = Standardize::<T, 3>::fit(&data).unwrap();
    assert_eq!(fitted.mean(), &[20.0, 1.0, 0.5].map(T::of));
    // the third feature never varies: centred, and divided by 1
    assert_eq!(fitted.std()[2], T::ONE);
    let with = |norm: Standardize<T, 3>, seed| {
        let mut g = rng(seed);
        // a layer for rows of any shape starts a chain after an `Input`
        Input::<[T; 3]>::new()
            .then(norm)
            .then(Affine::<[T; 3], 2>::init(Init::He, &mut g))
            .then(SoftmaxWithLoss)
    };
    let net = with(fitted, 3);
    save(&net, &path).unwrap();
    let mut copy = with(Standardize::default(), 4);
    load(&mut copy, &path).unwrap();
    assert_eq!(copy.layer::<0>().layer(), &fitted);
    let x = [T::of(25.0), T::of(0.0), T::of(0.5)];
    assert_eq!(copy.scores(&x).unwrap(), net.scores(&x).unwrap());
    let mut y = Batch::zeros(0);
    copy.layer::<0>().layer().infer(&data, &mut y);
    assert_eq!(y[1], [10.0, 0.0, 0.0].map(T::of).map(|v| v / fitted.std()[0]));
    assert_eq!(y[0][2], T::ZERO);
}

for_f32_and_f64!(round_trip, standardization_travels_with_the_net);

/// Statistics that would standardise into garbage are refused.
#[test]
fn bad_statistics_are_refused() {
    assert!(Standardize::<f32, 2>::new([0.0, f32::NAN], [1.0, 1.0]).is_err());
    let zero = Standardize::<f32, 2>::new([0.0, 0.0], [1.0, 0.0]).unwrap_err();
    assert_eq!((zero.of, zero.name, zero.value), ("Standardize", "std", 0.0));
    assert!(Standardize::<f64, 1>::new([0.0], [f64::INFINITY]).is_err());
    assert!(Standardize::<f32, 2>::fit(&Batch::<[f32; 2]>::zeros(0)).is_err());
    let nan = Batch::from_rows(vec![[1.0f32, f32::NAN]]);
    assert!(Standardize::<f32, 2>::fit(&nan).is_err());
}

/// A file written by Python's `safetensors.numpy.save_file`
/// (tests/fixtures/make_python_net.py) loads, and the net computes what
/// numpy computed from the same numbers.
#[test]
fn a_file_written_by_python_loads() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/python_net.safetensors"
    ))
    .unwrap();
    let mut net = small::<f32>(0);
    from_bytes(&mut net, &bytes).unwrap();
    let w1 = net.first().first().first().weights();
    assert_eq!(w1[0], [-0.55, -0.45, -0.35, -0.25]);
    assert_eq!(net.first().second().bias(), &[0.05, -0.05]);
    // printed by the fixture script: numpy's scores for [1, -2, 0.5]
    let expected = [0.055_357_143_f32, -0.033_928_566];
    let scores = net.scores(&[1.0, -2.0, 0.5]).unwrap();
    for (s, e) in scores.iter().zip(expected) {
        assert!((s - e).abs() < 1e-6, "{scores:?} vs {expected:?}");
    }
}

#[test]
fn mismatched_nets_are_refused_and_left_untouched() {
    let bytes = to_bytes(&small::<f32>(1)).unwrap();

    let mut wider = Affine::<[f32; 5], 4>::zeros()
        .then(Relu)
        .then(Affine::<[f32; 4], 2>::zeros())
        .then(SoftmaxWithLoss);
    let before = wider.clone();
    let err = from_bytes(&mut wider, &bytes).unwrap_err();
    let ModelErrorKind::Shape {
        tensor,
        expected,
        found,
    } = &err.kind
    else {
        panic!("{err}")
    };
    assert_eq!(
        (tensor.as_str(), expected.as_slice(), found.as_slice()),
        ("0.W", &[5, 4][..], &[3, 4][..])
    );
    assert_eq!(
        err.to_string(),
        r#"tensor "0.W" has shape [3, 4], the net's parameter has [5, 4]"#
    );
    assert_eq!(wider, before);

    let mut double = small::<f64>(3);
    let before = double.clone();
    let err = from_bytes(&mut double, &bytes).unwrap_err();
    assert!(matches!(&err.kind, ModelErrorKind::Dtype { expected: "F64", found, .. } if found == "F32"));
    assert_eq!(double, before);

    let mut deeper = small::<f32>(4)
        .then(Affine::<[f32; 2], 2>::zeros())
        .then(SoftmaxWithLoss);
    let err = from_bytes(&mut deeper, &bytes).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::Architecture { layer: 4, file, net } if file.is_empty() && net.starts_with("Affine")),
        "{err}"
    );

    let mut shallower = Affine::<[f32; 3], 4>::zeros().then(SoftmaxWithLoss);
    let err = from_bytes(&mut shallower, &bytes).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::Architecture { layer: 1, .. }),
        "{err}"
    );
}

/// Every truncation, and corruption of the header, gives an error.
#[test]
fn damaged_files_are_refused_and_the_net_left_untouched() {
    let bytes = to_bytes(&small::<f32>(1)).unwrap();
    let mut net = small::<f32>(2);
    let before = net.clone();
    for cut in 0..bytes.len() {
        assert!(from_bytes(&mut net, &bytes[..cut]).is_err(), "cut at {cut} accepted");
    }
    let mut refused = 0;
    for at in 8..bytes.len().min(300) {
        let mut broken = bytes.clone();
        broken[at] ^= 0x55;
        // most flipped header bytes break its JSON, names or numbers; a few
        // only change metadata text, which loads. A refused load must not
        // have half-applied.
        let mut fresh = before.clone();
        if from_bytes(&mut fresh, &broken).is_err() {
            assert_eq!(fresh, before, "a failed load changed the net (byte {at})");
            refused += 1;
        }
    }
    assert!(refused > 200, "only {refused} corruptions refused");
    assert_eq!(net, before);
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    let err = from_bytes(&mut net, &bytes[..header_len as usize]).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Truncated { .. }), "{err}");
    // a header that claims to be huge is refused before anything is read
    let mut huge = bytes.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        from_bytes(&mut net, &huge).unwrap_err().kind,
        ModelErrorKind::Header(_)
    ));
}

#[test]
fn non_finite_weights_are_neither_saved_nor_loaded() {
    let dir = scratch_dir("non-finite");
    let path = dir.join("net.safetensors");
    let good = small::<f32>(1);
    save(&good, &path).unwrap();
    let saved = std::fs::read(&path).unwrap();

    let mut bad = good.clone();
    bad.first_mut().first_mut().first_mut().weights_mut()[1][2] = f32::NAN;
    let err = save(&bad, &path).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::NonFinite { tensor } if tensor == "0.W"),
        "{err}"
    );
    // what was saved before is still there, unchanged
    assert_eq!(std::fs::read(&path).unwrap(), saved);

    // a NaN written into the file's data is refused on load
    let mut corrupt = saved.clone();
    let last = corrupt.len() - 4;
    corrupt[last..].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut net = small::<f32>(9);
    let err = from_bytes(&mut net, &corrupt).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::NonFinite { tensor } if tensor == "2.b"),
        "{err}"
    );
}

#[test]
fn missing_files_and_folders_are_errors() {
    let dir = scratch_dir("missing-model");
    let mut net = small::<f32>(1);
    let err = load(&mut net, dir.join("nothing.safetensors")).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Missing));
    let err = save(&net, dir.join("no-such-folder").join("net.safetensors")).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Io(_)));
}

/// A file saved from one net refuses a net of other layers, naming both,
/// and leaves it as it was.
#[test]
fn a_file_of_other_layers_is_refused() {
    let bytes = to_bytes(&small::<f32>(1)).unwrap();
    let mut g = rng(5);
    let mut sigmoid = Affine::<[f32; 3], 4>::init(Init::He, &mut g)
        .then(Sigmoid)
        .then(Affine::<[f32; 4], 2>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    let before = sigmoid.clone();
    let err = from_bytes(&mut sigmoid, &bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file holds a different net: layer 1 is `Relu` in the file and `Sigmoid` in this net"
    );
    assert_eq!(sigmoid, before);
}

/// Without a recorded architecture (a file written by another tool), a
/// missing tensor whose neighbour number holds the same shape is reported
/// as a likely shift of the layer numbering.
#[test]
fn a_shifted_layer_numbering_is_named() {
    let net = small::<f32>(1);
    let mut tensors = Vec::new();
    net.visit_params(&mut |p| {
        tensors.push((
            p.layer.top().unwrap() + 1,
            p.name,
            p.shape.dims().to_vec(),
            p.value.to_vec(),
        ))
    });
    let bytes = common::safetensors_bytes(&tensors);
    let mut copy = small::<f32>(2);
    let err = from_bytes(&mut copy, &bytes).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::MissingTensor { tensor, shifted: Some(other) } if tensor == "0.W" && other == "1.W"),
        "{err}"
    );
    assert!(err.to_string().contains("a layer more or fewer"), "{err}");
}

/// The names in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Two threads saving different nets to one path while a third loads it:
/// every save succeeds, every load finds one complete file (one net or the
/// other, never a mix), and no temporary file is left behind.
#[test]
fn concurrent_saves_to_one_path_leave_one_complete_file() {
    use std::sync::atomic::{AtomicBool, Ordering};
    const SAVES: usize = 200;
    let dir = scratch_dir("concurrent-saves");
    let path = dir.join("net.safetensors");
    let nets = [small::<f32>(1), small::<f32>(2)];
    save(&nets[0], &path).unwrap();
    let saving = AtomicBool::new(true);
    let loads = std::thread::scope(|s| {
        let savers: Vec<_> = nets
            .iter()
            .map(|net| {
                let path = &path;
                s.spawn(move || (0..SAVES).map(|_| save(net, path)).filter(Result::is_err).count())
            })
            .collect();
        let loader = s.spawn(|| {
            let mut loads = 0;
            while saving.load(Ordering::Relaxed) {
                let mut copy = small::<f32>(3);
                load(&mut copy, &path).unwrap();
                assert!(nets.contains(&copy), "a load found a net that was never saved");
                loads += 1;
            }
            loads
        });
        for saver in savers {
            assert_eq!(saver.join().unwrap(), 0, "saves failed");
        }
        saving.store(false, Ordering::Relaxed);
        loader.join().unwrap()
    });
    assert!(loads > 0);
    let mut copy = small::<f32>(3);
    load(&mut copy, &path).unwrap();
    assert!(nets.contains(&copy));
    assert_eq!(names_in(&dir), ["net.safetensors"]);
}

/// Earlier versions wrote to `.{name}.{pid}.tmp`, so a symbolic link
/// planted there redirected the save into another file. Temporary names
/// are no longer predictable and are created exclusively: the link's
/// target is left alone.
#[cfg(unix)]
#[test]
fn a_link_at_the_old_temporary_name_is_not_followed() {
    let dir = scratch_dir("planted-link");
    let path = dir.join("net.safetensors");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let planted = dir.join(format!(".net.safetensors.{}.tmp", std::process::id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let net = small::<f32>(1);
    save(&net, &path).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(std::fs::read_link(&planted).unwrap(), victim);
    let mut copy = small::<f32>(2);
    load(&mut copy, &path).unwrap();
    assert_eq!(copy, net);
}

/// A file saved over keeps its permission bits, but not set-user-ID,
/// set-group-ID or sticky; a new file gets those any new file gets.
#[cfg(unix)]
#[test]
fn saving_over_a_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch_dir("permissions");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let path = dir.join("net.safetensors");
    let net = small::<f32>(1);
    save(&net, &path).unwrap();
    let plain = dir.join("plain");
    std::fs::File::create(&plain).unwrap();
    assert_eq!(mode(&path), mode(&plain), "a new file's permissions");
    for bits in [0o600, 0o604, 0o444] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bits)).unwrap();
        save(&net, &path).unwrap();
        assert_eq!(mode(&path), bits, "{bits:o}");
    }
    // set-user-ID, set-group-ID and sticky are not carried over: the new
    // file is this process's, and must not run with the old owner's rights
    let special = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    for (bits, kept) in [(0o4755, 0o755), (0o2750, 0o750), (0o1644, 0o644)] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bits)).unwrap();
        if special(&path) != bits {
            continue; // a file system that does not keep the bit
        }
        save(&net, &path).unwrap();
        assert_eq!(special(&path), kept, "{bits:o}");
    }
    let mut copy = small::<f32>(2);
    load(&mut copy, &path).unwrap();
    assert_eq!(copy, net);
}

/// A save through a symbolic link (a chain of two, relative targets,
/// another folder) replaces the file it leads to; the links stay links.
#[cfg(unix)]
#[test]
fn saving_through_a_link_replaces_the_file_it_leads_to() {
    use std::os::unix::fs::symlink;
    let dir = scratch_dir("through-link");
    std::fs::create_dir(dir.join("real")).unwrap();
    let real = dir.join("real").join("net.safetensors");
    save(&small::<f32>(1), &real).unwrap();
    symlink("real/net.safetensors", dir.join("link")).unwrap();
    symlink("link", dir.join("link-to-link")).unwrap();

    let net = small::<f32>(2);
    save(&net, dir.join("link-to-link")).unwrap();
    assert_eq!(
        std::fs::read_link(dir.join("link-to-link")).unwrap(),
        std::path::Path::new("link")
    );
    assert_eq!(
        std::fs::read_link(dir.join("link")).unwrap(),
        std::path::Path::new("real/net.safetensors")
    );
    let mut copy = small::<f32>(3);
    load(&mut copy, &real).unwrap();
    assert_eq!(copy, net);
    assert_eq!(names_in(&dir), ["link", "link-to-link", "real"]);
    assert_eq!(names_in(&dir.join("real")), ["net.safetensors"]);
}

/// A link to nothing is refused, naming what it points to; nothing is
/// created and the link stays.
#[cfg(unix)]
#[test]
fn a_dangling_link_is_refused() {
    let dir = scratch_dir("dangling-link");
    let path = dir.join("net.safetensors");
    std::os::unix::fs::symlink("nowhere.safetensors", &path).unwrap();
    let err = save(&small::<f32>(1), &path).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::DanglingLink { target } if target == std::path::Path::new("nowhere.safetensors")),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: a symbolic link to nowhere.safetensors, which does not exist; not writing through it",
            path.display()
        )
    );
    assert_eq!(names_in(&dir), ["net.safetensors"]);
    assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
}

/// A folder, a FIFO, a socket, or a device behind a link, at the path: the
/// save is refused, saying what is there, and leaves it as it was.
#[cfg(unix)]
#[test]
fn special_files_and_folders_are_refused_untouched() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch_dir("special-files");
    let folder = dir.join("folder");
    std::fs::create_dir(&folder).unwrap();
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let socket = dir.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let device = dir.join("device");
    std::os::unix::fs::symlink("/dev/null", &device).unwrap();

    let net = small::<f32>(1);
    for (path, found) in [
        (&folder, "a directory"),
        (&fifo, "a FIFO"),
        (&socket, "a socket"),
        (&device, "a character device"),
    ] {
        let before = std::fs::symlink_metadata(path).unwrap().file_type();
        let err = save(&net, path).unwrap_err();
        assert!(
            matches!(err.kind, ModelErrorKind::NotAFile { found: f } if f == found),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{}: {found} is there, not a regular file; it was left as it was",
                path.display()
            )
        );
        assert_eq!(std::fs::symlink_metadata(path).unwrap().file_type(), before);
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert_eq!(names_in(&dir), ["device", "fifo", "folder", "socket"]);
    assert_eq!(names_in(&folder), Vec::<String>::new());
}

/// A file larger than any file of the net can be is refused by its size,
/// before it is read.
#[test]
fn a_file_larger_than_the_net_can_need_is_refused_unread() {
    let dir = scratch_dir("too-large");
    let path = dir.join("huge.safetensors");
    // sparse: a gigabyte that takes no room
    std::fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
    let mut net = small::<f32>(1);
    let before = net.clone();
    let err = load(&mut net, &path).unwrap_err();
    let ModelErrorKind::TooLarge { size, size_limit } = err.kind else {
        panic!("{err}")
    };
    assert_eq!(size, Some(1 << 30));
    // 64 KiB + 1 KiB for each of 4 tensors and 4 layers, and the scalars
    assert!((64 << 10) < size_limit && size_limit < (128 << 10), "{size_limit}");
    assert_eq!(net, before);
    assert!(err.to_string().contains("is it the right file?"), "{err}");
}

/// A device is refused, not read: `/dev/zero` never ends, and a terminal
/// (`/dev/tty`) would wait for someone to type. Neither is opened in a way
/// that waits.
#[cfg(unix)]
#[test]
fn devices_are_refused_not_read() {
    for device in ["/dev/zero", "/dev/null", "/dev/tty"] {
        if std::fs::metadata(device).is_err() {
            continue; // some containers have no /dev/tty
        }
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut net = small::<f32>(1);
            let _ = done.send(load(&mut net, device).map_err(|e| e.to_string()));
        });
        let result = result
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("loading {device} still waits after 20 s"));
        assert_eq!(
            result,
            Err(format!(
                "{device}: a character device is there, not a regular file; it was left as it was"
            ))
        );
    }
}

/// Loading from a FIFO is refused at once rather than waiting for a writer
/// that may never come (the wait is bounded here by the test itself).
#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let fifo = scratch_dir("load-fifo").join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut net = small::<f32>(1);
        let _ = done.send(load(&mut net, &fifo).map_err(|e| e.kind));
    });
    let result = result
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("load is still waiting for a writer after 20 s");
    assert!(
        matches!(result, Err(ModelErrorKind::NotAFile { found: "a FIFO" })),
        "{result:?}"
    );
}

/// `check_save` refuses what `save` would refuse, before anything is
/// trained, and changes nothing: a dangling link, a FIFO, `/dev/full`
/// behind a link, a folder; a fresh path and an existing file pass.
#[cfg(unix)]
#[test]
fn check_save_refuses_what_save_would_refuse() {
    use typenet::io::check_save;
    let dir = scratch_dir("check-save");
    let dangling = dir.join("dangling");
    std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    let fifo = dir.join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let full = dir.join("full");
    std::os::unix::fs::symlink("/dev/full", &full).unwrap();
    let existing = dir.join("existing.safetensors");
    std::fs::write(&existing, b"old").unwrap();
    for (path, kind) in [
        (&dangling, "DanglingLink"),
        (&fifo, "NotAFile"),
        (&full, "NotAFile"),
        (&dir, "NotAFile"),
    ] {
        let err = check_save(path).unwrap_err();
        assert!(format!("{:?}", err.kind).starts_with(kind), "{}: {err}", path.display());
        // and save refuses it the same way
        let saved = save(&small::<f32>(1), path).unwrap_err();
        assert_eq!(saved.to_string(), err.to_string());
    }
    check_save(dir.join("new.safetensors")).unwrap();
    check_save(&existing).unwrap();
    assert_eq!(std::fs::read(&existing).unwrap(), b"old");
    assert_eq!(names_in(&dir), ["dangling", "existing.safetensors", "fifo", "full"]);
}

/// A save's temporary file left by a process killed with `kill -9` in the
/// middle of a save is removed by the next save to the same path. The
/// killed process is this test binary run again as a child that saves in
/// a loop (`TYPENET_SAVE_LOOP` names the path).
#[cfg(target_os = "linux")]
#[test]
fn a_save_removes_what_a_killed_save_left() {
    let dir = scratch_dir("killed-save");
    let path = dir.join("big.safetensors");
    let temps =
        |dir: &std::path::Path| -> Vec<String> { names_in(dir).into_iter().filter(|n| n.ends_with(".tmp")).collect() };
    let mut left = Vec::new();
    for _ in 0..20 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "save_loop_for_a_killed_save",
                "--nocapture",
                "--include-ignored",
            ])
            .env("TYPENET_SAVE_LOOP", &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // kill it as soon as one of its temporary files is there
        let started = std::time::Instant::now();
        while temps(&dir).is_empty() && started.elapsed().as_secs() < 60 {
            std::thread::yield_now();
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        left = temps(&dir);
        if !left.is_empty() {
            break;
        }
    }
    assert!(!left.is_empty(), "no kill landed during a save in 20 tries");
    save(&big(), &path).unwrap();
    assert_eq!(temps(&dir), Vec::<String>::new(), "left by the killed save: {left:?}");
    let mut again = big();
    load(&mut again, &path).unwrap();
}

fn big() -> Chain![Affine<[f32; 784], 200>, SoftmaxWithLoss<200>] {
    Affine::init(Init::He, &mut rng(3)).then(SoftmaxWithLoss)
}

/// Not a test: the child of [`a_save_removes_what_a_killed_save_left`],
/// saving until it is killed.
#[test]
#[ignore = "run by a_save_removes_what_a_killed_save_left as its child"]
fn save_loop_for_a_killed_save() {
    let Some(path) = std::env::var_os("TYPENET_SAVE_LOOP") else {
        return;
    };
    let net = big();
    loop {
        save(&net, &path).unwrap();
    }
}

/// A negative running variance (which would make every output NaN) is
/// refused on load, naming the tensor, and the net is left as it was.
#[test]
fn a_negative_running_variance_is_refused() {
    type Normed = Chain![Affine<[f32; 3], 2>, BatchNorm<f32, 2>, SoftmaxWithLoss<2>];
    let fresh = || -> Normed { Affine::zeros().then(BatchNorm::new()).then(SoftmaxWithLoss) };
    for bad in [-0.5f32, -1e-5] {
        let mut saved = fresh();
        saved.visit_params_mut(&mut |p| {
            if p.name == "running_var" {
                p.value[1] = bad;
            }
        });
        let bytes = to_bytes(&saved).unwrap();
        let mut net = fresh();
        let before = net.clone();
        let err = from_bytes(&mut net, &bytes).unwrap_err();
        assert!(
            matches!(&err.kind, ModelErrorKind::NegativeVariance { tensor } if tensor == "1.running_var"),
            "{err}"
        );
        assert_eq!(err.to_string(), r#"tensor "1.running_var" holds a negative variance"#);
        assert_eq!(net, before);
    }
    // zero is a variance
    let mut zero = fresh();
    zero.visit_params_mut(&mut |p| {
        if p.name == "running_var" {
            p.value[0] = 0.0;
        }
    });
    from_bytes(&mut fresh(), &to_bytes(&zero).unwrap()).unwrap();
}

/// A PyTorch `state_dict` given to `load` is refused with a pointer to
/// `load_pytorch`.
#[test]
fn a_pytorch_file_points_to_load_pytorch() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/torch_net.safetensors");
    let mut net = Affine::<[f32; 96], 16>::zeros().then(SoftmaxWithLoss);
    let err = load(&mut net, path).unwrap_err();
    assert!(
        matches!(&err.kind, ModelErrorKind::PyTorchNames { tensor, .. } if tensor == "0.W"),
        "{err}"
    );
    assert!(
        err.to_string().contains("read it with typenet::io::load_pytorch"),
        "{err}"
    );
}

/// The header of a file, padded with spaces after the JSON to `len` bytes.
fn with_header_padded_to(bytes: &[u8], len: usize) -> Vec<u8> {
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header = bytes[8..8 + header_len].to_vec();
    header.resize(len, b' ');
    let mut out = (len as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&header);
    out.extend_from_slice(&bytes[8 + header_len..]);
    out
}

/// A header may be 64 KiB and more (room for other tools' metadata) but
/// not many times what a net of 4 tensors needs.
#[test]
fn a_header_longer_than_the_net_can_need_is_refused() {
    let dir = scratch_dir("long-header");
    let saved = small::<f32>(1);
    let bytes = to_bytes(&saved).unwrap();
    let mut net = small::<f32>(2);
    from_bytes(&mut net, &with_header_padded_to(&bytes, 64 << 10)).unwrap();
    assert_eq!(net, saved);

    let long = with_header_padded_to(&bytes, 200 << 10);
    let mut net = small::<f32>(2);
    let before = net.clone();
    let err = from_bytes(&mut net, &long).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Header(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "bad safetensors header: a header of 204800 bytes is longer than the 73728 bytes allowed for this net"
    );
    assert_eq!(net, before);
    // as a file, it is refused by its size before it is read
    let path = dir.join("long-header.safetensors");
    std::fs::write(&path, &long).unwrap();
    let err = load(&mut net, &path).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::TooLarge { .. }), "{err}");
    assert_eq!(net, before);
}

/// A file of the right net in the other scalar type is read and refused
/// for its type, not its size.
#[test]
fn a_file_of_the_other_type_is_refused_for_its_type() {
    let dir = scratch_dir("other-type");
    let path = dir.join("net.safetensors");
    save(&small::<f64>(1), &path).unwrap();
    let mut net = small::<f32>(2);
    let err = load(&mut net, &path).unwrap_err();
    assert!(matches!(err.kind, ModelErrorKind::Dtype { .. }), "{err}");
}

/// Every error of `save` and `load` carries the path and names it first.
#[test]
fn every_error_of_save_and_load_names_the_path() {
    let dir = scratch_dir("error-paths");
    let good = small::<f32>(1);
    let mut bad = good.clone();
    bad.first_mut().first_mut().first_mut().weights_mut()[0][0] = f32::INFINITY;
    let saved = dir.join("net.safetensors");
    save(&good, &saved).unwrap();
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &std::fs::read(&saved).unwrap()[..40]).unwrap();
    let mut other = Affine::<[f32; 5], 2>::zeros().then(SoftmaxWithLoss);

    let mut net = small::<f32>(2);
    let errors = [
        (
            dir.join("missing.safetensors"),
            load(&mut net, dir.join("missing.safetensors")),
        ),
        (truncated.clone(), load(&mut net, &truncated)),
        (dir.clone(), load(&mut net, &dir)),
        (saved.clone(), load(&mut other, &saved)),
        (saved.clone(), save(&bad, &saved)),
        (dir.clone(), save(&good, &dir)),
        (
            dir.join("no-folder/net.safetensors"),
            save(&good, dir.join("no-folder/net.safetensors")),
        ),
    ];
    for (path, result) in errors {
        let err = result.unwrap_err();
        assert_eq!(err.path.as_deref(), Some(path.as_path()), "{err}");
        let prefix = format!("{}: ", path.display());
        assert!(err.to_string().starts_with(&prefix), "{err}");
    }
    // the empty path is named as such, not left out
    for err in [save(&good, "").unwrap_err(), load(&mut net, "").unwrap_err()] {
        assert_eq!(err.path.as_deref(), Some(std::path::Path::new("")));
        assert!(err.to_string().starts_with("the empty path: "), "{err}");
    }
    assert!(matches!(
        save(&good, "").unwrap_err().kind,
        ModelErrorKind::NotAFile { found: "no file name" }
    ));
}

/// A saved convolutional net keeps PyTorch's (out, in, kh, kw) layout for
/// its filters, round-trips exactly, and is refused by a net of another
/// shape, naming the tensor and both shapes, with that net untouched.
#[test]
fn conv_nets_round_trip_and_refuse_other_shapes() {
    let mut g = rng(8);
    let net = Input::<Image<f32, 2, 9, 9>>::new()
        .then(Conv2d::<f32, 2, 3, 3>::init(Init::He, &mut g))
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 4>::init(Init::He, &mut g))
        .then(SoftmaxWithLoss);
    let bytes = to_bytes(&net).unwrap();
    let mut copy = Input::<Image<f32, 2, 9, 9>>::new()
        .then(Conv2d::<f32, 2, 3, 3>::zeros())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 4>::zeros())
        .then(SoftmaxWithLoss);
    from_bytes(&mut copy, &bytes).unwrap();
    assert_eq!(copy, net);
    // the filters as saved: filter o, channel c, row i, column j at
    // ((o·CIN + c)·K + i)·K + j, PyTorch's (out, in, kh, kw)
    let probe = Input::<Image<f32, 2, 9, 9>>::new()
        .then(Conv2d::<f32, 2, 3, 3>::from_fn(
            |o, c, i, j| (1000 * o + 100 * c + 10 * i + j) as f32,
            |o| o as f32,
        ))
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 4>::zeros())
        .then(SoftmaxWithLoss);
    let mut tensors = Vec::new();
    probe.visit_params(&mut |p| tensors.push((p.name, p.shape.dims().to_vec(), p.value.to_vec())));
    assert_eq!(tensors[0].1, [3, 2, 3, 3]);
    assert_eq!(tensors[0].2[((2 + 1) * 3 + 2) * 3 + 1], 1121.0);
    assert_eq!(tensors[0].2[((2 * 2) * 3 + 1) * 3 + 2], 2012.0);

    let mut wider = Input::<Image<f32, 2, 9, 9>>::new()
        .then(Conv2d::<f32, 2, 5, 3>::zeros())
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(Affine::<_, 4>::zeros())
        .then(SoftmaxWithLoss);
    let before = wider.clone();
    let err = from_bytes(&mut wider, &bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"tensor "0.W" has shape [3, 2, 3, 3], the net's parameter has [5, 2, 3, 3]"#
    );
    assert_eq!(wider, before);
}
