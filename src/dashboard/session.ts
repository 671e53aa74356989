/** The project token lives in session storage: gone with the tab, never in a URL. */
const key = 'lifeboat.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(key),
  signIn: (token: string) => sessionStorage.setItem(key, token),
  signOut: () => sessionStorage.removeItem(key),
};
