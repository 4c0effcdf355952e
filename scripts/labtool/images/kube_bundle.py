"""Build the offline Kubernetes bundle from Go modules and Debian packages; cached.

For hosts that cannot download the k3s release (and on which the k3s module itself is
not served): upstream Kubernetes, at the k3s pin's upstream release, as one `hyperkube`
binary (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy,
kubeadm and kubectl), kine as the datastore, and the images a kubeadm cluster runs
(pause, the control plane, CoreDNS), the add-ons k3s also bundles that the proxy serves
(local-path-provisioner, metrics-server) and busybox, in one docker-archive.

The bundle directory is keyed by the inputs (pins, Go module files, Go version, this
builder), under the lab cache dir: a rebuild with nothing changed returns at once, and a
fresh clone elsewhere on the same machine finds it. Go's own caches make a changed
input cheap to rebuild.

Bundle layout: hyperkube, kine, images.tar, bundle.yml (what is inside, read by the
kubeadm_node role), sha256sum-amd64.txt.

CLI: python -m labtool.images.kube_bundle [--force]   (prints the bundle directory)
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from labtool.images.archive import Image, Layer, write_docker_archive
from labtool.images.rootfs import RootfsError, cache_dir, run, run_force_cli
from labtool.settings import pinned_k3s_version

HERE = Path(__file__).resolve().parent
SETTINGS_FILE = HERE / "kube-bundle.yml"
HYPERKUBE_MODULE = HERE / "hyperkube"
# The programs hyperkube answers to; kubeadm's static pods run the first three.
HYPERKUBE_PROGRAMS = (
    "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubelet", "kubeadm", "kubectl",
)
CONTROL_PLANE_IMAGES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


def settings() -> dict:
    return yaml.safe_load(SETTINGS_FILE.read_text())


def kubernetes_version() -> str:
    """The upstream Kubernetes release of the k3s pin: v1.33.4+k3s1 -> v1.33.4."""
    return pinned_k3s_version().split("+", 1)[0]


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise RootfsError("Go is not installed (Debian 12: a Go >= 1.24 toolchain on PATH is needed)")
    return go


def _go_version() -> str:
    return subprocess.run([_go(), "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()


def inputs_digest(version: str) -> str:
    """A digest of everything the bundle is made from."""
    digest = hashlib.sha256()
    for path in sorted([SETTINGS_FILE, Path(__file__), HERE / "archive.py", *HYPERKUBE_MODULE.iterdir()]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(version.encode() + _go_version().encode())
    return digest.hexdigest()[:12]


def bundle_dir(version: str | None = None) -> Path:
    version = version or kubernetes_version()
    return cache_dir() / "kube-bundle" / f"kubernetes-{version}-{inputs_digest(version)}"


def _release_toolchain(version: str) -> str:
    """The Go release that the k8s.io/kubernetes module hyperkube builds from asks for.

    The module's own .go-version names the Go its release was built and tested with;
    the go command fetches that toolchain through the module proxy (GOTOOLCHAIN).
    """
    # `go list -m` names the directory only once the module is in the module cache.
    run([_go(), "mod", "download", "k8s.io/kubernetes"], cwd=HYPERKUBE_MODULE)
    listed = subprocess.run([_go(), "list", "-m", "-f", "{{.Version}} {{.Dir}}", "k8s.io/kubernetes"],
                            cwd=HYPERKUBE_MODULE, capture_output=True, text=True, check=True).stdout.split()
    if listed[0] != version:
        raise RootfsError(
            f"{HYPERKUBE_MODULE}/go.mod requires k8s.io/kubernetes {listed[0]}, but the k3s pin asks for "
            f"{version}: update the require line and every staging replace to v0{version[2:]} (go mod tidy)"
        )
    return "go" + (Path(listed[1]) / ".go-version").read_text().strip()


def _build_hyperkube(version: str, out: Path) -> None:
    toolchain = _release_toolchain(version)
    major, minor = version.lstrip("v").split(".")[:2]
    component = "k8s.io/component-base/version"
    ldflags = [
        "-s", "-w",
        # What `kubectl version` and the kubelet report, and what kubeadm checks.
        f"-X {component}.gitVersion={version}", f"-X {component}.gitMajor={major}",
        f"-X {component}.gitMinor={minor}", f"-X {component}.gitTreeState=clean",
        f"-X k8s.io/client-go/pkg/version.gitVersion={version}",
    ]
    # Static (it also runs inside the control-plane images), with the Go of that release.
    env = dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN=toolchain)
    run([_go(), "build", "-trimpath", "-buildvcs=false", "-ldflags", " ".join(ldflags), "-o", str(out), "."],
        cwd=HYPERKUBE_MODULE, env=env)


def _go_install(name: str, spec: dict, bin_dir: Path) -> Path:
    env = dict(os.environ, GOBIN=str(bin_dir), CGO_ENABLED="1" if spec.get("cgo") else "0")
    run([_go(), "install", "-trimpath", "-ldflags", "-s -w", f"{spec['package']}@{spec['version']}"], env=env)
    built = bin_dir / Path(spec["package"]).name
    if built.name != name:
        built.rename(bin_dir / name)
    return bin_dir / name


def _debian_binaries(packages: list[str], work: Path) -> Path:
    """Unpack the Debian packages (static binaries) into work/root."""
    root = work / "root"
    download = ["apt-get", "download", *packages]
    if subprocess.run(download, cwd=work, capture_output=True).returncode != 0:
        run(["apt-get", "update", "-qq"])  # a fresh host has no package lists yet
        run(download, cwd=work, stdout=subprocess.DEVNULL)
    for deb in sorted(work.glob("*.deb")):
        run(["dpkg-deb", "-x", str(deb), str(root)])
    return root


def _images(cfg: dict, version: str, hyperkube: Path, programs: dict[str, Path], debian: Path) -> list[Image]:
    images = cfg["images"]
    bin_dir = "/usr/local/bin"
    control_plane = Layer(
        files={f"{bin_dir}/hyperkube": hyperkube},
        symlinks={f"{bin_dir}/{program}": "hyperkube" for program in HYPERKUBE_PROGRAMS},
        directories=["/tmp"],
    )
    busybox = debian / "bin" / "busybox"
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout.split()
    return [
        # catatonit's pause mode does what the pause program does: hold the namespaces, reap.
        Image([images["pause"]], [Layer({"/pause": debian / "usr" / "bin" / "catatonit"})], entrypoint=["/pause", "-P"]),
        *(
            Image([f"registry.k8s.io/{name}:{version}"], [control_plane], entrypoint=[f"{bin_dir}/{name}"])
            for name in CONTROL_PLANE_IMAGES
        ),
        *(
            Image(
                [f"{spec['image']}:{spec['version']}"],
                [Layer({spec["path"]: programs[name]}, directories=["/tmp"])],
                entrypoint=[spec["path"]],
            )
            for name, spec in cfg["go_programs"].items()
            if "image" in spec
        ),
        Image([images["busybox"]], [Layer(
            {"/bin/busybox": busybox},
            symlinks={f"/bin/{applet}": "busybox" for applet in applets if applet != "busybox"},
            directories=["/tmp", "/etc", "/root"],
        )], cmd=["sh"]),
    ]


def build_bundle(force: bool = False) -> Path:
    """Return the bundle directory, building it when missing (or forced)."""
    version = kubernetes_version()
    target = bundle_dir(version)
    if (target / "sha256sum-amd64.txt").exists() and not force:
        print(f"bundle present: {target}", file=sys.stderr)
        return target
    cfg = settings()
    started = time.monotonic()
    print(f"building the Kubernetes {version} bundle into {target} (cold: about 15 min on 2 cores)", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as scratch:
        work = Path(scratch)
        out = work / "bundle"
        out.mkdir()
        _build_hyperkube(version, out / "hyperkube")
        programs = {name: _go_install(name, spec, work / "bin") for name, spec in cfg["go_programs"].items()}
        shutil.copy2(programs["kine"], out / "kine")
        debian = _debian_binaries(cfg["debian_packages"], work)
        images = _images(cfg, version, out / "hyperkube", programs, debian)
        write_docker_archive(images, out / "images.tar")
        manifest = {
            "kubernetes_version": version,
            "coredns_version": cfg["go_programs"]["coredns"]["version"],
            "kine_version": cfg["go_programs"]["kine"]["version"],
            "images": [tag for image in images for tag in image.tags],
            "programs": list(HYPERKUBE_PROGRAMS),
        }
        (out / "bundle.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        sums = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}" for path in sorted(out.iterdir())]
        (out / "sha256sum-amd64.txt").write_text("\n".join(sums) + "\n")
        if target.exists():
            shutil.rmtree(target)
        out.rename(target)
    peak_kib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF))
    print(f"bundle built in {time.monotonic() - started:.0f} s; peak memory of one build step {peak_kib // 1024} MiB",
          file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    return run_force_cli(__doc__, build_bundle, argv)


if __name__ == "__main__":
    sys.exit(main())
