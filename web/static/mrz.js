// The passport's machine readable zone (ICAO 9303 TD3: two lines of 44 characters), read
// in the browser to fill the form. The gateway checks it again (every check digit, and
// agreement with the typed fields) when the form is pre-checked or submitted.

const WEIGHTS = [7, 3, 1];

function value(char) {
  if (char >= "0" && char <= "9") return char.charCodeAt(0) - 48;
  if (char >= "A" && char <= "Z") return char.charCodeAt(0) - 55;
  if (char === "<") return 0;
  throw new Error(`'${char}' is not an MRZ character`);
}

export function checkDigit(text) {
  let sum = 0;
  [...text].forEach((char, i) => (sum += value(char) * WEIGHTS[i % 3]));
  return String(sum % 10);
}

function date(yymmdd, { past }) {
  const yy = Number(yymmdd.slice(0, 2));
  const thisYear = new Date().getFullYear() % 100;
  const century = past ? (yy > thisYear ? 1900 : 2000) : 2000;
  return `${century + yy}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`;
}

/** Normalise what was typed: upper case, no spaces, `«` read as `<`. */
export function normalise(line) {
  return (line || "").toUpperCase().replace(/\s+/g, "").replace(/«/g, "<");
}

/**
 * The fields the two lines encode, every check digit verified; throws an Error naming
 * the first problem.
 */
export function parseTd3(first, second) {
  const [l1, l2] = [normalise(first), normalise(second)];
  if (l1.length !== 44 || l2.length !== 44) throw new Error("each line has 44 characters");
  if (l1[0] !== "P") throw new Error("a passport's first line starts with P");
  const checks = [
    ["passport number", l2.slice(0, 9), l2[9]],
    ["date of birth", l2.slice(13, 19), l2[19]],
    ["expiry date", l2.slice(21, 27), l2[27]],
    ["personal number", l2.slice(28, 42), l2[42]],
    ["whole line", l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43), l2[43]],
  ];
  for (const [what, text, digit] of checks) {
    const expected = checkDigit(text);
    if (!(digit === expected || (what === "personal number" && digit === "<" && expected === "0"))) {
      throw new Error(`the check digit of the ${what} is wrong`);
    }
  }
  const [surname, given = ""] = l1.slice(5).split("<<");
  return {
    surname: surname.replace(/</g, " ").trim(),
    given_names: given.replace(/</g, " ").trim(),
    nationality: l2.slice(10, 13).replace(/</g, ""),
    passport_number: l2.slice(0, 9).replace(/</g, ""),
    date_of_birth: date(l2.slice(13, 19), { past: true }),
    sex: l2[20] === "<" ? "X" : l2[20],
    expires_on: date(l2.slice(21, 27), { past: false }),
    lines: [l1, l2],
  };
}
