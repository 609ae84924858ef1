// Who is signed in: the bearer token in sessionStorage (gone with the tab; the kiosk
// wipes it on idle), and its claims as the app reads them to choose screens. The gateway,
// not the app, checks the token.

const TOKEN = "ow.token";

function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      [...atob(part)].map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

export const session = {
  token() {
    return sessionStorage.getItem(TOKEN);
  },
  claims() {
    const token = this.token();
    return token ? claimsOf(token) : null;
  },
  signIn(token) {
    if (!claimsOf(token)) throw new Error("not a JWT");
    sessionStorage.setItem(TOKEN, token);
  },
  signOut() {
    sessionStorage.clear();
  },
};
