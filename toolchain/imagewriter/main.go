// Command imagewriter writes the container images `kubeadm config images list` names as
// image tarballs (docker-archive, what `ctr images import` and registries' loaders read),
// from binaries built by scripts/toolchain.sh: no registry, no Dockerfile, no daemon.
// Each image is one layer holding its binaries in /usr/local/bin (and, for kube-proxy,
// Debian's iptables/conntrack tree); timestamps are zero, so a rebuild gives the same digest.
package main

import (
	"archive/tar"
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type options struct {
	list, out                              string
	kubeDir, etcdDir, corednsDir, pauseDir string
	kubeProxyRoot                          string
	kubeVersion, etcdVersion               string
	corednsVersion, pauseVersion           string
}

// An image's content: binaries copied to /usr/local/bin, an optional root tree, the entrypoint.
type recipe struct {
	binaries   map[string]string // name in /usr/local/bin -> source path
	tree       string
	entrypoint []string
}

func main() {
	var o options
	flag.StringVar(&o.list, "list", "", "file with one image reference a line (kubeadm config images list)")
	flag.StringVar(&o.out, "out", "", "directory for the image tarballs and images.tsv")
	flag.StringVar(&o.kubeDir, "kube", "", "dir with kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy")
	flag.StringVar(&o.etcdDir, "etcd", "", "dir with etcd and etcdctl")
	flag.StringVar(&o.corednsDir, "coredns", "", "dir with coredns")
	flag.StringVar(&o.pauseDir, "pause", "", "dir with pause")
	flag.StringVar(&o.kubeProxyRoot, "kube-proxy-root", "", "root tree added to the kube-proxy image (iptables, conntrack)")
	flag.StringVar(&o.kubeVersion, "kube-version", "", "the Kubernetes release the kube binaries are")
	flag.StringVar(&o.etcdVersion, "etcd-version", "", "the etcd release (kubeadm tags it X.Y.Z-N)")
	flag.StringVar(&o.corednsVersion, "coredns-version", "", "the coredns release")
	flag.StringVar(&o.pauseVersion, "pause-version", "", "the pause release")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "imagewriter:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	refs, err := readList(o.list)
	if err != nil {
		return err
	}
	// Layers are read lazily, when an image is written: they live until the end of the run.
	layers, err := os.MkdirTemp("", "imagewriter-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(layers)
	var index []string
	for i, ref := range refs {
		tag, err := name.NewTag(ref, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		r, err := recipeFor(o, tag)
		if err != nil {
			return err
		}
		img, err := build(r, filepath.Join(layers, fmt.Sprintf("layer-%d.tar", i)))
		if err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		file := imageFile(tag)
		if err := tarball.WriteToFile(filepath.Join(o.out, file), tag, img); err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		digest, err := img.Digest()
		if err != nil {
			return err
		}
		index = append(index, fmt.Sprintf("%s\t%s\t%s\n", ref, file, digest))
	}
	return os.WriteFile(filepath.Join(o.out, "images.tsv"), []byte(strings.Join(index, "")), 0o644)
}

func readList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var refs []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" {
			refs = append(refs, line)
		}
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("%s names no image", path)
	}
	return refs, s.Err()
}

// kube-apiserver_v1.36.3.tar, coredns_v1.14.2.tar, ...
func imageFile(tag name.Tag) string {
	repo := tag.RepositoryStr()
	return repo[strings.LastIndex(repo, "/")+1:] + "_" + tag.TagStr() + ".tar"
}

// What goes into each image kubeadm lists; a tag that is not the release built is refused,
// so the images always hold exactly the pinned binaries.
func recipeFor(o options, tag name.Tag) (recipe, error) {
	repo := tag.RepositoryStr()
	short := repo[strings.LastIndex(repo, "/")+1:]
	want := func(version string) error {
		if tag.TagStr() != version {
			return fmt.Errorf("kubeadm lists %s, but the toolchain built %s %s: change the pin in toolchain/versions.env", tag, short, version)
		}
		return nil
	}
	bin := func(dir string, names ...string) map[string]string {
		m := map[string]string{}
		for _, n := range names {
			m[n] = filepath.Join(dir, n)
		}
		return m
	}
	switch short {
	case "kube-apiserver", "kube-controller-manager", "kube-scheduler":
		return recipe{binaries: bin(o.kubeDir, short), entrypoint: []string{"/usr/local/bin/" + short}}, want(o.kubeVersion)
	case "kube-proxy":
		return recipe{binaries: bin(o.kubeDir, short), tree: o.kubeProxyRoot, entrypoint: []string{"/usr/local/bin/kube-proxy"}}, want(o.kubeVersion)
	case "etcd":
		if !strings.HasPrefix(tag.TagStr(), strings.TrimPrefix(o.etcdVersion, "v")+"-") {
			return recipe{}, fmt.Errorf("kubeadm lists %s, but the toolchain built etcd %s: change the pin in toolchain/versions.env", tag, o.etcdVersion)
		}
		return recipe{binaries: bin(o.etcdDir, "etcd", "etcdctl"), entrypoint: []string{"/usr/local/bin/etcd"}}, nil
	case "coredns":
		return recipe{binaries: bin(o.corednsDir, "coredns"), entrypoint: []string{"/usr/local/bin/coredns"}}, want(o.corednsVersion)
	case "pause":
		return recipe{binaries: bin(o.pauseDir, "pause"), entrypoint: []string{"/usr/local/bin/pause"}}, want(o.pauseVersion)
	}
	return recipe{}, fmt.Errorf("kubeadm lists %s, which the toolchain does not know how to build", tag)
}

func build(r recipe, layerPath string) (v1.Image, error) {
	layerFile, err := os.Create(layerPath)
	if err != nil {
		return nil, err
	}
	if err := writeLayer(layerFile, r); err != nil {
		layerFile.Close()
		return nil, err
	}
	if err := layerFile.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromFile(layerFile.Name())
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = r.entrypoint
	cfg.Config.Env = []string{"PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"}
	return mutate.ConfigFile(img, cfg)
}

func writeLayer(w io.Writer, r recipe) error {
	tw := tar.NewWriter(w)
	dirs := []string{"tmp/", "usr/", "usr/local/", "usr/local/bin/"}
	for _, d := range dirs {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode}); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(r.binaries))
	for n := range r.binaries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := addFile(tw, r.binaries[n], "usr/local/bin/"+n, 0o755); err != nil {
			return err
		}
	}
	if r.tree != "" {
		if err := addTree(tw, r.tree, map[string]bool{"usr/": true, "usr/local/": true, "usr/local/bin/": true, "tmp/": true}); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, src, dst string, mode int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dst, Mode: mode, Size: st.Size()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// Debian's tree without its documentation; WalkDir goes in lexical order, so the layer is stable.
func addTree(tw *tar.Writer, root string, written map[string]bool) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "usr/share/doc" || rel == "usr/share/man" || rel == "usr/share/lintian" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := int64(info.Mode().Perm())
		switch {
		case d.IsDir():
			if written[rel+"/"] {
				return nil
			}
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: mode})
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: rel, Linkname: target, Mode: 0o777})
		case info.Mode().IsRegular():
			return addFile(tw, path, rel, mode)
		}
		return fmt.Errorf("%s: unsupported file type %s", path, info.Mode().Type())
	})
}
