#!/bin/sh
# Writes nginx's site for Parley (run by the nginx image's entrypoint from /docker-entrypoint.d,
# and by the proxy integration test with the paths below overridden):
#   PARLEY_DOMAIN empty: plain HTTP on port 80.
#   PARLEY_DOMAIN=chat.example.com: HTTPS on 443 for that name with the certificate in
#   $PARLEY_CERTS/fullchain.pem and privkey.pem, and port 80 redirecting to it.
set -eu
dir="${PARLEY_NGINX_DIR:-/etc/nginx/parley}"
upstreams="${PARLEY_UPSTREAMS:-$dir/upstreams.conf}"
certs="${PARLEY_CERTS:-/etc/nginx/certs}"
site="${PARLEY_SITE:-/etc/nginx/conf.d/default.conf}"
http_listen="${PARLEY_HTTP_LISTEN:-80}"
https_listen="${PARLEY_HTTPS_LISTEN:-443}"
access_log="${PARLEY_ACCESS_LOG:-/var/log/nginx/access.log}" # stdout in the nginx image

# Checked before the site is written: the container does not start without its certificate.
if [ -n "${PARLEY_DOMAIN:-}" ]; then
  for f in fullchain.pem privkey.pem; do
    if [ ! -r "$certs/$f" ]; then
      echo "site.sh: PARLEY_DOMAIN is set but $certs/$f is missing (mount the certificate, see docker/README.md)" >&2
      exit 1
    fi
  done
fi

{
  echo "include $dir/parley-http.conf;"
  echo "include $upstreams;"
  if [ -z "${PARLEY_DOMAIN:-}" ]; then
    cat <<SITE
server {
    listen $http_listen default_server;
    access_log $access_log parley;
    include $dir/parley-locations.conf;
}
SITE
  else
    cat <<SITE
server {
    listen $http_listen default_server;
    access_log $access_log parley;
    location / { return 308 https://$PARLEY_DOMAIN\$request_uri; }
}
server {
    listen $https_listen ssl;
    server_name $PARLEY_DOMAIN;
    ssl_certificate $certs/fullchain.pem;
    ssl_certificate_key $certs/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:parley_tls:10m;
    # One HSTS header, also on nginx's own answers (errors, 502 while Parley restarts): the app
    # sends the same one when PUBLIC_URL is https, hidden here so browsers never see two.
    proxy_hide_header Strict-Transport-Security;
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    access_log $access_log parley;
    include $dir/parley-locations.conf;
}
SITE
  fi
} >"$site"
