package oci

import (
	"context"
	"fmt"
	"path/filepath"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// DockerConfigPath returns where docker and oras keep registry
// credentials, reading the environment through getenv:
// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json, else ""
// when neither variable is set.
func DockerConfigPath(getenv func(string) string) string {
	if dir := getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".docker", "config.json")
	}
	return ""
}

// credential is the client's auth.CredentialFunc: the explicit
// credentials if any, else the docker config's for hostport.
func (c *Client) credential(ctx context.Context, hostport string) (auth.Credential, error) {
	if c.opts.Username != "" {
		return auth.Credential{Username: c.opts.Username, Password: c.opts.Password}, nil
	}
	store, err := c.dockerStore()
	if err != nil {
		return auth.EmptyCredential, err
	}
	cred, err := credentials.Credential(store)(ctx, hostport)
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("credentials for %s from %s: %w", hostport, c.dockerConfigName(), err)
	}
	return cred, nil
}

// dockerStore loads the docker config once.
func (c *Client) dockerStore() (credentials.Store, error) {
	c.storeOnce.Do(func() {
		var ds *credentials.DynamicStore
		if c.opts.DockerConfig != "" {
			ds, c.storeErr = credentials.NewStore(c.opts.DockerConfig, credentials.StoreOptions{})
		} else {
			ds, c.storeErr = credentials.NewStoreFromDocker(credentials.StoreOptions{})
		}
		if c.storeErr != nil {
			c.storeErr = fmt.Errorf("read the docker config %s: %w; fix or remove it, or pass credentials explicitly", c.dockerConfigName(), c.storeErr)
			return
		}
		c.store = ds
	})
	return c.store, c.storeErr
}

// dockerConfigName names the docker config for messages.
func (c *Client) dockerConfigName() string {
	if c.opts.DockerConfig != "" {
		return c.opts.DockerConfig
	}
	return "~/.docker/config.json (or $DOCKER_CONFIG/config.json)"
}

// credentialSource says where the credentials for hostport come from,
// for an authentication failure: "" if there are none.
func (c *Client) credentialSource(ctx context.Context, hostport string) string {
	if c.opts.Username != "" {
		return fmt.Sprintf("the explicit credentials of user %q", c.opts.Username)
	}
	cred, err := c.credential(ctx, hostport)
	if err != nil || cred == auth.EmptyCredential {
		return ""
	}
	return "the credentials for " + hostport + " in " + c.dockerConfigName()
}
