package secret_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/secret"
)

func TestRoundTripAndKeyring(t *testing.T) {
	k1, k2 := secret.GenerateKey(), secret.GenerateKey()
	old, err := secret.NewBox(k1)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := old.Encrypt("s3cr3t-value")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ct, "s3cr3t") || !strings.HasPrefix(ct, "enc:v1:"+old.PrimaryID()+":") {
		t.Fatalf("ciphertext %q", ct)
	}
	ring, _ := secret.NewBox(k2, k1)
	if pt, err := ring.Decrypt(ct); err != nil || pt != "s3cr3t-value" {
		t.Fatalf("keyring decrypt: %q %v", pt, err)
	}
	other, _ := secret.NewBox(k2)
	if _, err := other.Decrypt(ct); err == nil {
		t.Fatal("decrypted with the wrong key")
	}
	mid := len(ct) - 10
	flip := byte('A')
	if ct[mid] == 'A' {
		flip = 'B'
	}
	tampered := ct[:mid] + string(flip) + ct[mid+1:]
	if _, err := old.Decrypt(tampered); err == nil {
		t.Fatal("tampered ciphertext accepted")
	}
	if e, _ := old.Encrypt(""); e != "" {
		t.Fatal("empty must stay empty")
	}
}

func TestKeyFileCreatedPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "master.key")
	b, src, err := secret.Load("", path)
	if err != nil || !src.Created {
		t.Fatalf("%v %+v", err, src)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", fi.Mode().Perm())
	}
	b2, src2, err := secret.Load("", path)
	if err != nil || src2.Created || b2.PrimaryID() != b.PrimaryID() {
		t.Fatalf("reload: %v %+v", err, src2)
	}
	os.Chmod(path, 0o644)
	if _, _, err := secret.Load("", path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file accepted: %v", err)
	}
	if _, _, err := secret.Load("not base64!", ""); err == nil {
		t.Fatal("bad env key accepted")
	}
}

func FuzzDecrypt(f *testing.F) {
	b, _ := secret.NewBox(secret.GenerateKey())
	ct, _ := b.Encrypt("hello")
	f.Add(ct)
	f.Add("enc:v1:deadbeef:AAAA")
	f.Add("enc:v1:")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		pt, err := b.Decrypt(s)
		if err == nil && s != "" && s != ct && pt == "hello" {
			// Only the genuine ciphertext (or another sealing of it) opens.
			if secret.KeyID(s) != b.PrimaryID() {
				t.Fatalf("forged ciphertext opened: %q", s)
			}
		}
	})
}
