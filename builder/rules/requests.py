"""Request forms: politeness, wishes and questions around an edit."""

from __future__ import annotations

import functools
import re

from lego_edit.builder.rules.lexicon import KNOWN_VERBS, STYLE_TERMS, VERB_RES, VERB_SYNONYMS, canonical_verb, lemma
from lego_edit.builder.rules.phrases import env_value, is_descriptor
from lego_edit.builder.rules.prefilter import WordGate
from lego_edit.builder.rules.text_edits import says_but_should
from lego_edit.builder.rules.versions import accessory_request, version_request, without_request

_POLITE = re.compile(
    r"^(?:(?:(?:no|yes|yeah|yep|nope|great|good|nice|perfect|awesome|cool|hmm|well|alright|right|moreover|furthermore|"
    r"additionally|besides|however|in addition|on top of that|secondly|lastly|anyway|basically|actually|honestly)\s*[,.!]+|pretty please|please|kindly|now|next|ok|okay|so|also|and|then|first|firstly|first of all|to start|can you|could you|would you|will you|would you please|"
    r"can you please|could you please|i want you to|i'd like you to|i would like you to|i want to|i'd like to|"
    r"i would like to|i need you to|i need to|i wish to|i hope you can|i hope you could|i hope to|i hope|we need to|let's|lets|let us|help me|try to|aim to|attempt to|"
    r"strive to|be sure to|go ahead and|"
    r"you should|you could|you can|i want|i'd like|i need|just|only|pls|plz|maybe|perhaps|possibly|completely|totally|"
    r"entirely|fully|simply|carefully|somehow|generally|digitally|professionally|seamlessly|if possible|"
    r"if at all possible|if you can|(?:can|could|can't|cant|couldn't|could not|can not) we|(?:can't|couldn't|won't) you|"
    r"\([^)]{0,20}\))(?![\w'])[\s,]*)+", re.I)
_QUESTION_START = re.compile(
    r"^(?:what|who|whom|whose|where|when|why|how|which|tell me|describe|explain|count|caption|identify|"
    r"(?:is|are|was|were|does|do|did|has|have|can|could|would|will|should)\s+(?:you|i|we|they|he|she|it|there|"
    r"this|that|these|those)\b)\b", re.I)


# A manner adverb before the verb ("Realistically change ..."); adverbs of degree ("dramatically", "slightly") stay,
# they say how much.
_ADVERB_LEAD = re.compile(r"^(?:(?!only|early|family|ugly|lily|holy|dramatic|drastic|significant|slight|subtl|strong|heav|"
                          r"light|extreme|massive|huge|consider|substantial|marked|notic|gentl|soft|moderat|mild|bare|great|"
                          r"really\b|dark|bright|sharp|hard|clear|radical|intens|severe|dras|seriously|totally|complete|entire|"
                          r"full|part|most|main|mostly)[a-z]{3,}ly,?\s+)+(?=(?P<v>[a-z]+)\b)", re.I)


_DEGREE_LEAD = re.compile(r"^(?P<a>(?:dramatically|drastically|significantly|slightly|subtly|strongly|heavily|gently|"
                          r"considerably|substantially|massively|hugely|greatly|mildly|moderately|lightly|noticeably|"
                          r"radically|extremely|seriously|really))\s+(?=(?P<v>[a-z]+)\b)", re.I)


@functools.lru_cache(maxsize=256)  # pure, and asked of the same words several times in one plan
def strip_polite(text: str) -> str:
    text = _POLITE.sub("", text.strip())
    first = text.split(None, 1)[0].lower() if text else ""
    adverb = _ADVERB_LEAD.match(text) if first.endswith(("ly", "ly,")) else None
    if adverb and lemma(adverb.group("v").lower()) in KNOWN_VERBS:
        text = text[adverb.end():]  # "Realistically change the background ...", "Subtly warm up the skin"
    degree = _DEGREE_LEAD.match(text) if "ly " in text[:16] else None
    if degree and lemma(degree.group("v").lower()) in KNOWN_VERBS:
        said = "slightly" if re.match(r"(?:slight|subtl|gentl|mild|light)", degree.group("a"), re.I) else \
            "" if re.match(r"(?:moderat|noticeabl)", degree.group("a"), re.I) else "a lot"
        text = f"{text[degree.end():].rstrip(' .!')} {said}".strip()  # "drastically brighten it" -> "brighten it a lot"
    return re.sub(r"[\s,]*\bplease\b[\s.!?]*$", "", text, flags=re.I).strip()


def is_question(sentence: str) -> bool:
    """A question about the image rather than a request ("can you remove the dog?" is a request, and so is "lighten
    the steps?": an edit verb first)."""
    polite = re.match(r"^(?:can|could|would|will)\s+you\b|^please\b", sentence, re.I)
    if polite:
        return False
    if "->" in sentence or "\u2192" in sentence or "=>" in sentence:
        return False  # '"course" -> "coarse" ?': a correction asked with a question mark
    lead = canonical_verb(sentence.lower())
    if any(p.match(lead) for group, p in VERB_RES if group not in ("extract", "pose", "level")):
        return False
    if _QUESTION_START.match(sentence):
        return True
    # "System icon image needs transparent background?", "The sky could be bluer?": a statement said with a
    # question mark (no question word, no auxiliary first) is read as what it says
    return sentence.rstrip().endswith("?") and not (re.search(
        r"\b(?:needs?|should|must|could use|wants?|has to|have to|ought to|would look)\b", sentence, re.I) and not re.search(
        r"\b(?:could|can|would|will|is|are|do|does|did|should)\s+(?:i|you|we|it|someone|anyone|somebody|anybody|this|that|"
        r"there)\b", sentence, re.I))


# -- requests phrased as questions, wishes, forum posts ------------------------------------------------
# A request inside a longer sentence: "(I) would be so grateful if someone could remove ...", "Request to remove
# ...", "I need this photo edited to fix ...", "is there any hope of brightening ...", "(Please!) remove ...".
_EMBEDDED = re.compile(
    r"(?:^|[\s,(])(?:if|whether)\s+(?:someone|somebody|anyone|anybody|you|u|one of you|you guys)\s+(?:could|can|would|will|"
    r"is able to|are able to|might)\s+(?:(?:please|pls|possibly|maybe|kindly|help(?: me)?|try to|attempt to)\s+)*|"
    r"(?:^|[\s,(])(?:request(?:ing)?|attempt(?:ing)?|try(?:ing)?|hoping|want(?:ed)?|wanting|need(?:ed)?|able|help|edited|"
    r"photoshopped|looking|trying|wish|like|love|edit|photoshop|retouch|shop)\s+(?:(?:someone|somebody|anyone|you|it|this|"
    r"the (?:photo|picture|image|pic))\s+)?to\s+(?:(?:please|try to|help)\s+)*|"
    r"(?:^|[\s,(])(?:would|do|does)\s+(?:anyone|anybody|someone|somebody|you)\s+mind\s+(?=[a-z]+ing\b)|"
    r"(?:^|[\s,(])(?:any\s+hope|chance|possibility|way)\s+of\s+|^\s*to\s+|(?:^|[\s,(])mind\s+(?=[a-z]+ing\b)|"
    r"(?:^|[\s,(])(?:having|have|take|taking)\s+a\s+(?:go|crack|shot|stab)\s+at\s+|"
    r"(?:^|[\s,(])(?:hoping|looking|asking|wishing)\s+for\s+(?:an?\s+)?(?:simple\s+|quick\s+|little\s+|small\s+)?"
    r"(?=(?:crop|cut-?out|retouch|touch-?up|recolou?r|edit)\b)|"
    r"(?:^|[\s,(\-])(?:can|could|would|will)\s+(?:someone|somebody|anyone|anybody|you|u|one of you|you guys|we|i)\s+"
    r"(?:(?:please|pls|possibly|maybe|kindly|help(?: me)?|try to|attempt to|just)\s+)*|"
    r"(?:^|\s)(?:realistic|feasible|doable|possible|hard|easy)\s+(?:for\s+\w+\s+)?to\s+|"
    r"(?:^|[\s,(])help(?:\s+me)?\s+with\s+(?=[a-z]+ing\b)|"
    r"^\s*\([^)]{0,20}\)\s*|^\s*if\s+(?:at\s+all\s+)?(?:possible|you\s+can|you\s+could)\s*,?\s*|"
    r"(?:^|[\s,])(?:please|pls|plz|kindly)\s+|(?:^|[\s,(])(?:let'?s|let\s+us)\s+(?:(?:maybe|just|also|perhaps)\s+)*", re.I)


def embedded_request(text: str) -> str | None:
    """The edit asked for inside `text` (from the first request marker followed by an editing verb), or None."""
    for m in _EMBEDDED.finditer(text):
        tail = text[m.end():].strip(" ,")
        word = re.match(r"[a-z]+", tail, re.I)
        if word and tail != text.strip() and (lemma(word.group(0)) in KNOWN_VERBS or
                                              canonical_verb(tail.lower()) != tail.lower()):
            return tail
    return None


_TAGS = re.compile(r"^\s*(?:\[[^\]]{1,24}\]|\((?:request|req|help|paid|free|specific|self)\)|(?:request|req|help|paid request|"
                   r"free request|edit request|feature request|feature|suggestion|idea|enhancement|self|specific|paid|free|"
                   r"todo|to do|general|note|task|fix|bug|proposal|wish)"
                   r"\s*[:\-])\s*", re.I)
_HOW_WOULD = re.compile(r"^(?:i\s+wonder\s+)?(?:how|what)\s+(?=(?:\S+\s+){0,4}?(?:would|will|might|could|think|'d)\b)"
                        r"(?:(?:would|will|might|could|do\s+you\s+think)\s+)?(?P<w>this|it|that|the\s+[\w-]+|"
                        r"this\s+[\w-]+|i|i'd|we|we'd|he|she|they)(?:'d)?\s+(?:(?:would|will|might|could)\s+)?look\s+"
                        r"(?:like\s+(?=(?:with|in|as|without)\b|[a-z]+$))?(?P<y>(?:in|with|as|like)\s.+|[a-z]+)$", re.I)
_BETTER_IF = re.compile(r"^(?:i\s+(?:just\s+|really\s+)?(?:think|feel|believe)\s+(?:that\s+)?)?it\s+(?:would|will|'d|might)\s+(?:be|look)\s+"
                        r"(?:much\s+|a\s+lot\s+|way\s+|so\s+)?(?:better|nicer|great|good|best|cooler|prettier)\s+if\s+"
                        r"(?P<x>(?:the|my|his|her|their|this|that|these|those|our|its)\s.+?)\s+(?:was|were|is|are|looked|got|became)\s+"
                        r"(?P<y>(?!(?:not|no|removed|gone)\b).+?)(?:\s+(?:instead|too|as well))?$", re.I)
# A title of one or two words before a colon or dash, then the edit itself.
_LABEL = re.compile(r"^\s*[A-Za-z][\w'-]*(?:\s+[\w'.-]+){0,7}?\s*(?::|\s[-\u2013])\s+(?=(?P<v>[A-Za-z]+)\b)")
_GREETING = re.compile(r"^(?:hi|hello|hey|hiya|greetings|dear \w+)(?:\s+(?:all|everyone|guys|folks|there|team))?"
                       r"(?:\s*[,!.]\s*|\s+(?=(?:can|could|would|will|please|pls|i|so)\b))", re.I)
_WHO = r"(?:you guys|you all|y'all|you|u|someone|somebody|anyone|anybody|any1|some1|one of you guys|one of you|a kind soul|some(?:one)? here|some)"
# Frames around an edit, each followed by the edit itself (an imperative).
_ASK_FRAMES = re.compile(
    r"^(?:(?:your|the|my)\s+(?:editing\s+|main\s+|only\s+)?(?:task|job|goal|mission|assignment)\s+(?:here\s+)?is\s+to|"
    r"(?:can|could|will|would)\s+(?:it|this|that|(?:the|this|your)\s+(?:app|tool|editor|program|software|model|ai|ia|"
    r"repo|project|feature|control|function|script))\s+help\s+(?:me\s+|us\s+)?(?:to\s+)?|"
    r"(?:maybe|perhaps)\s+(?:we|you|someone|somebody|they)\s+(?:could|can|should|might)(?:\s+at\s+least)?|"
    r"(?:i|we)\s+(?:want|wanted|would like|'d like|am trying|'m trying|tried|was trying|need)\s+to\s+use\s+(?:this|the|your|that|"
    r"a)\s+[\w -]+?\s+to|"
    r"(?:is it|would it be|will it be)\s+(?:please\s+)?(?:at all\s+|even\s+)?possible\s+(?:for\s+" + _WHO + r"\s+)?to|is there (?:a|an|any) (?:(?:simple|easy|quick|good|better|proper|simpler|easier|nice)\s+)?way to|"
    r"any (?:way|chance) (?:to|of)|any chance (?:someone|somebody|anyone|you) (?:could|can|would)|"
    r"(?:is\s+)?(?:anyone|anybody|someone|somebody)\s+(?:here\s+)?(?:able|willing|up)\s+to|(?:is\s+it\s+)?possible\s+to|"
    r"(?:i\s+)?would\s+(?:really\s+|greatly\s+|so\s+)?appreciate\s+(?:it\s+)?if\s+" + _WHO + r"\s+(?:could|can|would)|"
    r"(?:i\s+)?need\s+(?:someone|somebody|help|a hand)\s+to|(?:please\s+)?(?:any\s+)?help\s+(?:me\s+|us\s+)?(?:out\s+)?(?:with\s+|in\s+)?(?=[a-z]+ing\b)|"
    r"is (?:this|the|my) (?:image|photo|picture|pic) (?:at all )?possible to|"
    r"(?:someone|somebody|anyone|anybody)(?:\s+(?:please|pls|plz|kindly))+|"
    r"(?:can|could|may) (?:i|we) (?:please )?(?:get|have) (?:someone|somebody|you|anyone) to|"
    r"(?:can|could|may) (?:i|we) (?:please )?(?=get\b)|"
    r"(?:can|could|would|will)\s+" + _WHO + r"(?:\s+(?:please|pls|plz|kindly|maybe|possibly|"
    r"help me|help))*(?:\s+(?:and\s+)?(?:help\s+(?:me\s+|us\s+)?)?)?(?:\s*(?:out\s+)?(?:in|with)(?=\s+[a-z]+ing\b))?(?:\s*be able to)?|how (?:do|can|could|would|should) (?:i|we|you|one)|"
    r"how to|(?:do|does) (?:you|anyone|somebody|someone) know how to|(?:(?:i|we)\s*(?:want|wanted|would like|'d like|need|"
    r"am trying|'m trying|was trying)\s+to\s+)?(?:know|learn|find out|figure out|work out|understand|see)\s+how\s+(?:to|(?:i|we|one|you)\s+"
    r"(?:can|could|should|would|might|do|would go about))|(?:is|are) (?:you|anyone|someone|somebody) "
    r"able to|(?:i(?:'d| would) |would )?(?:love|like|appreciate) (?:it )?if (?:you|someone|somebody|anyone) (?:could|can|"
    r"would)|it would be (?:great|nice|awesome|amazing|lovely) if (?:you|someone|somebody|anyone) (?:could|can|"
    r"would)|i (?:was|am) wondering if (?:you|someone|somebody|anyone) (?:could|can|would)|i wonder if (?:you|"
    r"someone|somebody|anyone) (?:could|can)|(?:please )?help(?!\s+(?:me\s+|us\s+)?(?:with|out)\b)(?!\s+(?:the|this|that|his|her|their|a|an)\s)(?:\s+(?:me|us))?(?:\s+to)?|"
    r"i need (?:help|someone|somebody) to|"
    r"use (?:the|this|a|an|my|your) [\w -]{1,30}? (?:prompt|tool|feature|option|function|model|filter|brush|skill|command|"
    r"mode|plugin|node|script) to|"
    r"(?:one\s+)?(?:small\s+|minor\s+|quick\s+|simple\s+|little\s+)?(?:change|fix|improvement|suggestion|idea|request|thing)\s+"
    r"(?:related\s+to\s+[\w -]+?\s+)?(?:would\s+be|could\s+be|is|might\s+be)(?=\s+[a-z]+ing\b)|"
    r"i need help(?: with| in)?|(?:ask|asking|wondering) (?:if|whether)|(?:someone|somebody|anyone|anybody|you) (?:can|could|would|"
    r"will|might)(?= (?:explain|show|tell|suggest|recommend)\b)|"
    r"(?:explain|show|tell) (?:to )?(?:me |us )?how (?:to|(?:i|we|you) (?:can|could|do|would))|"
    r"(?:suggest|recommend) (?:me |us )?(?:some ?thing|a way|a tool|an? (?:app|filter|option|method)|how) to|i (?:think|believe|feel|guess|suppose) (?:that )?(?:(?:you|we|it|this|that|someone|they) )?"
    r"(?:should|could|must|ought to|needs? to|might want to)|looking for (?:someone|somebody|help) to|i (?:cannot|can't|cant|can not|couldn't|could not)\s+"
    r"(?:for the life of me\s+)?(?:seem to\s+)?(?:figure out how to\s+|work out how to\s+|manage to\s+)?|i (?:just )?wonder(?:ed)? (?:how|if i could|if i can|whether i "
    r"can) (?:to )?|i (?:intend|intended|meant|mean|was going|am going|tried|was trying|am trying|want(?:ed)?) to|"
    r"(?:i(?:'d| would) (?:love|like|appreciate)|i need|looking for|hoping for) (?:some |a little )?help (?:with |in )?(?=[a-z]+ing\b)|need (?:someone|somebody) to|"
    r"(?:i(?:'m| am| was) )?hoping (?:that )?(?:someone|somebody|you|anyone|anybody) (?:can|could|would|will|might)|do you mind|would you mind|"
    r"(?:i(?:'d| would) |would )(?:love|like) (?:you |someone |somebody |anyone )?to|i want(?: you)? to|i wanna|"
    r"(?:i(?:'m| am|'ll| will| would be|'d be)\s+(?:happy|glad|willing)\s+to\s+(?:tip|pay)\w*\s+)?if (?:someone|somebody|anyone|you) (?:is |are )?(?:able to|could|can|would)|"
    r"i wish (?:to|i could)|i(?:'d| would) appreciate (?:it )?if you(?: could)?|mind|"
    r"it (?:would|will|'d) be (?:really\s+|very\s+|so\s+)?(?:great|nice|awesome|amazing|lovely|good|cool|helpful|useful|handy|"
    r"desirable|preferable|ideal|easier|convenient) "
    r"(?:if (?:i|we|users?|one|you) (?:could|can|were able to)|to be able to)|"
    r"it (?:would|will|'d) be (?:really\s+|very\s+)?(?:desirable|preferable|ideal) to|(?:how|what) about\s+(?=[a-z]+\s)|"
    r"(?:can|could|does|will)\s+(?:it|this|(?:the|this) (?:app|tool|editor|program|model|network|repo|project)|"
    r"[a-z]+(?:-[a-z]+)+)\s+(?:automatically\s+|also\s+|"
    r"even\s+)?(?:detect and\s+|find and\s+)?(?=(?:remove|erase|delete|blur|sharpen|denoise|crop|rotate|flip|replace|"
    r"change|restore|enhance|brighten|darken)\b)|(?:the\s+)?(?:ability|possibility|option) (?:to|do)|"
    r"is there (?:a|an|any|some) (?:filter|tool|option|feature|setting|app|function|button|plugin|way) (?:which|that|to)"
    r"(?: (?:can|could|will|would))?|(?:(?:can|could) (?:you|someone|anyone) )?(?:suggest|recommend) (?:some ?thing|a way|a tool|"
    r"an? (?:app|filter|option)) to|there (?:should|could|must|needs to) be (?:an?|some) (?:option|way|feature|button|tool|"
    r"setting|function) to(?: (?:automatically|quickly|easily))?)"
    r"\b[\s,]*", re.I)
# "It would be nice to have a flip option": an app feature wished for, read as "add ..." (the feature's words name its edit).
_NICE_TO_HAVE = re.compile(r"^(?:it (?:would|will|'d|might|could|may) be (?:really\s+|very\s+|so\s+)?(?:great|nice|awesome|amazing|lovely|good|cool|"
                           r"helpful|useful|handy) (?:to have|if (?:you|they|the devs?) (?:could |can |would )?add)|"
                           r"(?:please\s+)?(?:consider|think about) adding|i(?:'d| would) (?:love|like) to (?:see|have))\s+"
                           r"(?P<x>.*\b(?:support|functionality|feature|option|setting|mode|ability|capability|possibility|"
                           r"shortcut|tool|slider|control|button|panel|plugin|plug-in|filter|function|remover|toy)s?\b.*)$",
                           re.I)
# Wishes without a verb: "I'd love the sky more dramatic", "I want the car gone".
_WISH = re.compile(r"^(?:i(?:'d| would)(?: just| really| also| so)? (?:love|like|prefer)|i (?:just |really |also )?want|"
                   r"(?:i )?(?:really |just )?need|(?:i )?want|we want|we need|i wish|i'd rather have|i(?:'d| would) rather have)\s+(?P<x>.+)$", re.I)
_GONE = re.compile(r"^(?P<x>.+?)\s+(?:gone|removed|erased|deleted|out of (?:the|this) (?:picture|photo|image|shot)|"
                   r"out)$", re.I)
# "X needs to be removed", "X is to be expunged", "X must disappear", "X gets removed", "X should go".
_PASSIVE = re.compile(
    r"^(?P<x>.+?)\s+(?:needs? to|has to|have to|must|should|shall|is to|are to|will|ought to|gets?|got|"
    r"is|are|can|could)\s+(?:be\s+|get\s+)?(?:(?:completely|entirely|totally|fully|carefully|cleanly|neatly|digitally|"
    r"simply|just|also|all|then)\s+)?(?P<v>[a-z]+(?:ed|en)|made|put|cut|lit|set|shown|taken|done|"
    r"disappear|vanish|go(?: away)?|leave)\b(?P<rest>.*)$", re.I)
_NO_MORE = re.compile(
    r"^(?:(?:please\s+)?(?:ensure|make sure|confirm|check)\s+(?:that\s+)?(?:there(?:'s| is| are)\s+no|(?:the|this) "
    r"(?:image|picture|photo) (?:does not|doesn't|do not|don't) (?:feature|contain|have|show|include)(?: any)?|"
    r"(?:the|this) (?:image|picture|photo) (?:has|contains|shows|includes|features) no|"
    r"the absence of|(?:there is|there's) nothing of)|no more|get (?:the\s+)?(?:image|photo|picture) "
    r"without|(?:the )?(?:image|photo|picture) without)\s+(?P<x>.+?)(?:\s+(?:is |are )?(?:visible|left|"
    r"anymore|any more|present|showing|remaining))?\s*$", re.I)
_NO_X_APPEARS = re.compile(r"^(?:(?:please\s+)?(?:ensure|make sure|see to it)\s+(?:that\s+)?)?no\s+(?P<x>.+?)\s+(?:appears?|is|are|"
                           r"remains?|shows?|can be seen|is visible|are visible)\b.*$", re.I)
# "ensure the image is free of birds", "the car should no longer be visible", "the photo shouldn't contain the dog",
# "I don't want the sign in the picture", "make it so there is no car", "without the bus, please".
_FREE_OF = re.compile(
    r"^(?:(?:please\s+)?(?:ensure|make sure|see to it)\s+(?:that\s+)?(?:the|this)\s+(?:image|picture|photo|scene)\s+(?:is|be|"
    r"becomes?)\s+(?:free|clear|devoid|rid)\s+of|(?:the|this)\s+(?:image|picture|photo|scene)\s+(?:should|must|needs to|has to)\s+"
    r"be\s+(?:free|clear|devoid|rid)\s+of|(?:the|this)\s+(?:image|picture|photo|scene)\s+(?:should(?:n't| not)|must(?:n't| not)|"
    r"(?:does|do)(?:n't| not) need to)\s+(?:contain|have|show|include|feature)|i\s+(?:don't|do not)\s+want|"
    r"make it so (?:that )?there(?:'s| is| are) no|without)\s+(?P<x>.+?)(?:\s+(?:in|on)\s+(?:the|this|my)\s+(?:image|picture|"
    r"photo|shot|scene|pic))?(?:,?\s*please)?$|^(?P<y>(?:the|that|this|those|these|my|his|her)\s.+?)\s+(?:should|must|needs? to)\s+"
    r"(?:no longer|not|never)\s+be\s+(?:visible|seen|there|present|in (?:the )?(?:picture|photo|image|shot))$", re.I)
_HAS_X = re.compile(r"^(?:(?:please\s+)?(?:ensure|make sure|see to it)\s+(?:that\s+)?(?:the|this)\s+(?:image|picture|photo|scene)\s+"
                    r"(?:has|contains|shows|includes|features|displays)|let there be|there should be|there must be|"
                    r"(?:the|this) (?:image|picture|photo|scene) (?:should|must|needs to) (?:have|contain|show|include|"
                    r"feature))\s+(?P<x>(?!no\b).+)$", re.I)
_PARTICIPLES = {"disappear": "remove", "vanish": "remove", "go": "remove", "go away": "remove", "leave": "remove",
                "made": "make", "put": "put", "cut": "cut out", "lit": "light up", "set": "set", "shown": "show",
                "taken": "take out", "done": "do"}


def _participle_verb(word: str) -> str:
    w = word.lower()
    if w in _PARTICIPLES:
        return _PARTICIPLES[w]
    base = lemma(w)
    if base in VERB_SYNONYMS:
        return VERB_SYNONYMS[base]
    return base if base in KNOWN_VERBS else ""


def _passive(text: str) -> str | None:
    """"the plant is to be removed from the image" -> "remove the plant from the image"; "the carrot should be
    dyed blue" -> "dye the carrot blue"; "the sea needs to be eradicated" -> "remove the sea"."""
    m = _PASSIVE.match(text)
    if not m or re.search(r"\b(?:it|this|that)\s+(?:is|was)\s+\w+ed\b", text[:12], re.I) and "be" not in text:
        return None
    verb = _participle_verb(m.group("v"))
    if not verb:
        return None
    x, rest = m.group("x").strip(), m.group("rest").strip()
    if any(p.match(canonical_verb(x.lower())) for _, p in VERB_RES):
        return None  # "remove the man who is positioned ...": an imperative already
    if re.fullmatch(r"(?:the\s+)?(?:image|picture|photo)", x, re.I):
        return None  # "the image is blurred" describes the image
    if verb in {"add", "put", "place", "insert"}:
        return f"add {x} {rest}".strip()
    if verb in {"replace", "swap", "substitute", "exchange"}:
        return f"replace {x} {rest}".strip()
    bare = re.sub(r"^(?:in|with)\s+", "", rest)
    if verb in {"dye", "paint", "colour", "color", "tint", "recolour", "recolor"}:
        return f"make {x} {bare}".strip()
    if verb in {"turn", "change", "convert", "transform"}:
        return f"{verb} {x} {rest}".strip()
    if verb in {"adorn", "dress", "clad", "clothe"}:
        return f"make {x} {bare}".strip()
    return f"{verb} {x} {rest}".strip()


_INVERTED_PASSIVE = re.compile(
    r"^(?:(?:can|could|will|would|should|may)\s+(?!i\b|we\b|you\b)(?P<x>.+?)\s+(?:be|get)\s+|"
    r"(?:can|could|may)\s+(?:i|we)\s+(?:get|have)\s+(?P<y>.+?)\s+)(?P<v>[a-z]+(?:ed|en)|made|put|cut|lit|set|shown|taken|done)\b(?P<rest>.*)$", re.I)
_FRONTED_PLACE = re.compile(
    r"^(?P<pp>(?:on|in|at|to|within|inside|under|underneath|above|below|behind|beside|besides|next to|near|by|atop|"
    r"in front of|on top of|on the (?:left|right) of|to the (?:left|right) of)\s+[^,]{2,60}?),\s*"
    r"(?P<rest>(?:let's\s+|let us\s+|please\s+)?(?:add|place|put|insert|position|introduce|include|draw|set|"
    r"embed|integrate|incorporate|position)\b.*)$", re.I)
_BY_DOING = re.compile(r"^(?P<head>.+?)\s+by\s+(?P<g>[a-z]+ing)\s+(?P<rest>.+)$", re.I)
_IMAGE_TO = re.compile(r"^(?:edit|photoshop|retouch|fix|change|alter|modify|shop|clean up|work on)\s+(?:this|the|my)\s+"
                       r"(?:photo|image|picture|pic|shot)\s+(?:to|so as to|and)\s+(?P<rest>.+)$", re.I)
_EDIT_OUT = re.compile(r"^(?:edit|photoshop|shop|clone|paint|crop|airbrush|get|take|leave|keep|cut)\s+(?!out\b)(?!rid\b)(?P<x>.+?)\s+out\b(?![-\w])"
                       r"(?P<rest>.*)$",
                       re.I)
_VANISH = re.compile(r"^make\s+(?P<x>.+?)\s+(?:disappear|vanish|go away|invisible)\b(?P<rest>.*)$", re.I)
_CUTOUT = re.compile(r"^(?:make|create|do|give me|get)\s+(?:me\s+)?(?:a|an)\s+(?:[\w-]+\s+){0,2}?(?:cut-?out|png|"
                     r"transparent (?:version|png|image))\s+of\s+(?P<x>.+?)(?:,.*)?$|^(?:photoshop|put|place|cut|move|"
                     r"paste)\s+(?P<y>.+?)\s+(?:onto|on|into|to)\s+(?:a\s+)?transparent\s+(?:background|layer|"
                     r"png)\b.*$", re.I)


_SHOP_AS = re.compile(r"^(?:photoshop|shop|edit|photo-?shop)\s+(?P<x>me|us|him|her|them|(?:the|my|this)\s+[\w-]+)\s+as\s+"
                      r"(?P<y>(?:an?|some)\s+[\w -]+?)[\s!.]*$", re.I)
_WATERMARK_WITH = re.compile(r"^watermark\b[^\"'\u201c]{0,80}?(?P<t>\"[^\"]{1,40}\"|\u201c[^\u201d]{1,40}\u201d|'[^']{1,40}')"
                             r"\s*\)?[\s!.]*$", re.I)
_WHAT_IF = re.compile(r"^(?:what\s+if\s+|imagine\s+(?:if\s+)?)(?P<x>(?:the|my|his|her|their|this|that|our|its)\s+[\w' -]+?|he|she|it|they|"
                      r"we|i|you)\s+(?P<v>had|wore|was wearing|were wearing|got|was|were|looked|became|removed|took out|erased|"
                      r"deleted)\s+(?P<y>.+)$", re.I)
_SAME_PLACE = re.compile(r"^(?:the\s+)?same\s+(?:scene|location|place|photo|picture|image|view|shot|spot|setting|street|"
                         r"landscape|city|beach|room)\s+(?P<y>(?:at|in|during|on|under)\s+.+?)[\s.!]*$", re.I)
_PREFER_IN = re.compile(r"^(?:.*?\b)?(?:i(?:'d| would)\s+)?prefer\s+(?:to\s+(?:see|have|get|view)\s+)?(?:(?:it|them|this|these|those|"
                        r"the\s+[\w-]+)\s+)?in\s+(?P<y>black\s+and\s+white|b&w|gr[ae]yscale|sepia|monochrome|colou?r)[\s!.]*$", re.I)


def _rewrite(text: str) -> str:
    """Edits said around the verb: "In front of the book, add a bottle" -> "add a bottle in front of the book";
    "enliven the image by adding a horse" -> "adding a horse"; "edit this photo to remove the quote" -> "remove the
    quote"; "edit the vet out" -> "remove the vet"; "make my cousin disappear" -> "remove my cousin"; "make a
    cutout of me" -> "cut out me"."""
    m = _FRONTED_PLACE.match(text)
    if m:
        text = f"{m.group('rest')} {m.group('pp')}"
    m = _SHOP_AS.match(text) if " as " in text else None
    if m:  # "photoshop me as a zombie": shown as one
        return f"turn {m.group('x')} into {m.group('y')}"
    m = _WATERMARK_WITH.match(text) if text[:9].lower() == "watermark" else None
    if m:  # 'watermark the images with "SAMPLE"': that text added
        return f"add the text {m.group('t')}"
    m = _SAME_PLACE.match(text) if text[:4].lower() in ("same", "the ") else None
    if m:  # "same scene at golden hour", "the same location in autumn": that time or season
        return f"make it {m.group('y')}"
    m = _PREFER_IN.match(text) if "prefer" in text else None
    if m:  # "I'd prefer to see them in black and white"
        return f"make it in {m.group('y')}"
    m = _IMAGE_TO.match(text)
    if m:
        text = m.group("rest")
        if re.match(r"(?:an?|some)\s+(?:[\w,'-]+\s+){0,4}?(?:background|backdrop)$", text, re.I):
            text = f"use {text}"  # "change this image to a white background"
    m = _BY_DOING.match(text)
    if m and lemma(m.group("g")) in KNOWN_VERBS and (
            not any(p.match(canonical_verb(m.group("head").lower())) for _, p in VERB_RES) or
            re.match(r"^\w+\s+(?:up\s+)?(?:the|this|my)\s+(?:image|photo|picture|pic|shot)(?:\s+up)?$", m.group("head"), re.I)):
        text = f"{lemma(m.group('g'))} {m.group('rest')}"
    text = re.sub(r"^zoom\s+(?:this|it|the (?:image|photo|picture|pic|shot))\s+out\b", "zoom out", text, flags=re.I)
    text = re.sub(r"^help\s+(?=(?:the|this|that|his|her|their|a|an)\s+[\w-]+\s+(?:have|wear|hold|carry|sport|look|be)\b)", "make ",
                  text, flags=re.I)  # "help the elephant wear a crown"
    by = re.match(r"^(?:make\s+(?:it|this|(?:the|this)\s+[\w-]+)\s+(?:look\s+)?(?:like|as if|as though)\s+(?:it|they|this)\s+(?:was|were|"
                  r"had been)\s+|(?:make|have)\s+(?:it|this|(?:the|this)\s+[\w-]+)\s+(?:be\s+)?|as\s+)?(?:done|painted|drawn|"
                  r"illustrated|sketched|made|created|animated)?\s*by\s+(?:an?\s+)?(?P<a>[\w .'-]+)$", text, re.I)
    if by and (re.search(r"\b(?:painted|drawn|done|illustrated|sketched|made|created|animated)\s+by\b|\bbe\s+by\b|^as\s+done\b|"
                         r"^(?:make|have)\s+(?:it|this|(?:the|this)\s+(?:portrait|painting|picture|image|photo|drawing))\s+by\b",
                         text, re.I)):
        text = f"in the style of {by.group('a')}"  # "have the portrait be by Andy Warhol", "as if painted by Van Gogh"
    looks_like = re.match(r"^(?:make\s+(?:it|this)\s+look\s+)?(?:like|as if|as though)\s+(?:it|this)\s+(?:was|were|is)\s+"
                          r"(?P<x>(?:an?|the)\s+[\w -]+)$", text, re.I)
    if looks_like:
        text = f"make it look like {looks_like.group('x')}"  # "as if it were a diorama"
    drawn = re.match(r"^(?:generate|make|create|produce|draw|render|give me)\s+(?:me\s+)?(?:an?\s+)?(?P<s>[\w -]+?)(?:\s+(?:picture|"
                     r"image|drawing|version|rendition|rendering|copy))?\s+(?:of|from)\s+(?:it|this|that|the image|the photo|this "
                     r"image|this photo)$", text, re.I)
    if drawn and STYLE_TERMS.search(drawn.group("s")):
        text = f"in {drawn.group('s')} style"  # "generate a scribble of the image": the image drawn that way
    version = re.match(r"^(?:create|make|give me|generate|produce|do)\s+(?:an?\s+)?(?P<d>[\w -]+?)(?:-themed|-toned)?\s+version"
                       r"(?:\s+of\s+(?:it|this|the image|the photo))?$", text, re.I)
    if version and not re.fullmatch(r"(?:new|different|better|second|another|final|other)", version.group("d"), re.I):
        text = f"make it {version.group('d')}"  # "create a dark-themed version": the image made dark
    m = re.match(r"^(?:make|let|have)\s+(?P<x>.+?)\s+(?P<v>have|wear|hold|carry|sport)\s+(?P<y>.+)$", text, re.I)
    if m and re.search(r"\b(?:so|not|do|does|don't|doesn't|that|which|and|but|because|when|if)\b", m.group("x"), re.I):
        m = None  # "make the backgrounds transparent so they do not have white borders": a purpose, not who wears it
    if m and m.group("v").lower() == "wear" and is_descriptor(re.sub(r"^all\s+", "", m.group("y"))):
        text = f"dress {m.group('x')} in {m.group('y')}"  # "make him wear red": his clothes recoloured
    elif m:
        text = f"give {m.group('x')} {m.group('y')}"  # "make him wear a hat": an addition on him
    m = re.match(r"^(?:populate|adorn|infuse|supplement|augment|enrich|furnish|decorate|fill|embellish|complement|"
                 r"grace|equip|increase|enhance|liven up|enliven|bless)\s+(?:the|this|my)\s+(?:whole\s+)?(?:image|photo|"
                 r"picture|pic|scene|shot|photograph|composition)\s+with\s+(?P<x>.+)$", text, re.I)
    if m and not STYLE_TERMS.search(m.group("x")) and not re.match(
            r"(?:more\s+|some\s+|a\s+(?:bit|touch)\s+of\s+)?(?:light|brightness|warmth|colou?r|life|contrast|energy|"
            r"vibrancy|drama|mood|atmosphere|the\s+\w+ness)\b", m.group("x"), re.I):
        text = f"add {m.group('x')}"  # "populate the image with four children"
    m = re.match(r"^(?:bring|get|welcome)\s+(?P<x>(?:an?|some|two|three|four|five|six|\d+)\s+.+?)\s+(?:into|to|in)\s+"
                 r"(?:the|this)\s+(?:image|photo|picture|pic|scene|shot|photograph)\b(?P<rest>.*)$", text, re.I)
    if m:
        text = f"add {m.group('x')}{m.group('rest')}"
    m = re.match(r"^(?:modify|change|alter|adjust|edit|transform|tweak)\s+(?P<x>(?:the|this|that|my|his|her|their)\s.+?)\s+so\s+"
                 r"(?:that\s+)?(?:it|they|he|she)\s+(?:appears?|looks?|is|are|becomes?|seems?)\s+(?P<y>.+)$", text, re.I)
    if m:
        text = f"make {m.group('x')} {m.group('y')}"  # "modify the bicycle so that it appears black"
    m = re.match(r"^give\s+(?P<x>(?:the|this|that|my|his|her|their)\s.+?)\s+an?\s+(?:fresh\s+|new\s+|quick\s+)?(?:coat|layer|lick)\s+"
                 r"of\s+(?:paint\s+in\s+|(?P<c2>[a-z]+)\s+paint|)(?P<c>[a-z -]*)$", text, re.I)
    if m and (m.group("c") or m.group("c2")):
        text = f"make {m.group('x')} {(m.group('c2') or m.group('c')).strip()}"  # "give the bus a fresh coat of yellow"
    m = re.match(r"^apply\s+(?:an?\s+)?(?P<s>.+?)\s+(?:treatment|filter|effect|look|finish|aesthetic)\s+(?:to|on)\s+"
                 r"(?P<x>(?:the|this|my|it)\b.*)$", text, re.I)
    if m and STYLE_TERMS.search(m.group("s")):  # "apply a pop art treatment to the photo"
        whole = re.fullmatch(r"(?:it|(?:the|this|my)\s+(?:whole\s+)?(?:photo|image|picture|pic|shot))", m.group("x"), re.I)
        text = f"in {m.group('s')} style" if whole else f"render {m.group('x')} in {m.group('s')} style"
    m = re.match(r"^(?:transport|teleport|relocate|move)\s+(?P<x>me|us|him|her|them|the\s+(?:subject|person|people|man|woman|"
                 r"couple|family|dog|cat|kids?|children|car))\s+(?:to|into)\s+(?P<y>.+)$", text, re.I)
    if m:
        text = f"place {m.group('x')} in {m.group('y')}"  # "transport the subject to a snowy mountain setting"
    m = re.match(r"^(?:swap|replace|exchange|switch|change)\s+(?:the\s+)?(?:colou?r|hue|shade|tone|tint)\s+of\s+(?P<x>.+?)\s+"
                 r"(?:for|with)\s+(?:an?\s+)?(?P<y>.+)$", text, re.I)
    if m:
        text = f"make {m.group('x')} {m.group('y')}"  # "swap the hue of the balloon for teal"
    m = re.match(r"^(?:let|have|make)\s+(?P<x>(?:the|this|that|my|his|her|their)\s.+?)\s+(?:take on|adopt|acquire|assume|gain)\s+"
                 r"(?P<y>an?\s+.+?\b(?:hue|colou?r|tint|shade|tone|glow))$", text, re.I)
    if m:
        text = f"give {m.group('x')} {m.group('y')}"  # "let the apple take on a golden hue"
    m = re.match(r"^(?:bring|situate|station|plant|nestle)\s+(?P<x>(?:an?|some|two|three|four|\d+)\s+.+)$", text, re.I)
    if m:
        text = f"add {m.group('x')}"  # "bring a small boat into the lake"
    m = re.match(r"^(?:set|stand|lay|hang|seat|rest|perch)\s+(?P<x>(?:an?|some|two|three|four|\d+)\s+.+)$", text, re.I)
    if m:
        text = f"add {m.group('x')}"  # "set a teapot on the table"
    m = re.match(r"^(?:rid|free|clear|cleanse|purge|strip|relieve)\s+(?:the|this|my|our)\s+(?:[\w-]+\s+){0,2}?[\w-]+(?<!\bout)\s+of\s+"
                 r"(?!(?:its|their|the)\s+(?:colou?rs?|hue)\b)(?!(?:the|this|my|our)\s+(?:image|photo|picture|pic|shot|photograph)\b)"
                 r"(?P<x>.+)$", text, re.I)
    if m:
        text = f"remove {m.group('x')}"
    text = re.sub(r"^cut\s+(?P<x>(?!out\b).+?)\s+out\b", r"cut out \g<x>", text, flags=re.I)  # "cut me out": a cut-out
    text = re.sub(r"^(?:get|have)\s+(?P<x>(?!out\b).+?)\s+cut\s*out\b", r"cut out \g<x>", text, flags=re.I)  # "get me cut out"
    m = re.match(r"^(?:bestow|confer|cast|lay|put|place|apply)\s+(?P<y>(?:an?|some)\s+.+?)\s+(?:up)?on(?:to)?\s+(?P<x>(?:the|this|"
                 r"his|her|their|its|my)\s+.+)$", text, re.I)
    if m and re.search(r"\b(?:hue|tint|shade|colou?r|tone|texture|finish|look|glow|sheen|coat)\b", m.group("y"), re.I):
        text = f"give {m.group('x')} {m.group('y')}"  # "bestow a pink hue upon the flamingo"
    m = re.match(r"^(?:imbue|infuse|endow|suffuse|saturate|fill)\s+(?P<x>(?:the|this|his|her|their|its|my)\s+.+?)\s+with\s+"
                 r"(?P<y>(?:an?|some)\s+.+)$", text, re.I)
    if m and re.search(r"\b(?:hue|tint|shade|colou?r|tone|texture|finish|glow|sheen)\b", m.group("y"), re.I):
        text = f"give {m.group('x')} {m.group('y')}"  # "imbue the sky with an orange tint"
    m = re.match(r"^(?:have|get)\s+(?P<x>(?:the|this|my|his|her|their|a|an)\s.+?)\s+(?P<v>[a-z]+(?:ed|en))\b(?P<rest>.*)$", text, re.I)
    if m and _participle_verb(m.group("v")):
        passive = _passive(f"{m.group('x')} must be {m.group('v')}{m.group('rest')}")
        text = passive or text  # "have the door painted black"
    m = re.match(r"^(?:get|take|wipe|clean|scrub|peel|strip|re-?touch|photoshop|airbrush|brush|edit|shop)\s+"
                 r"(?P<x>(?:the|this|that|these|those|my|his|her|all)\s.+?)\s+"
                 r"(?:off|away)\b(?P<rest>.*)$", text, re.I)
    if m:
        rest = re.sub(r"^\s+(?=(?:the|this|my|his|her)\b)", " from ", m.group("rest"))
        text = f"remove {m.group('x')}{rest}"  # "get the watermark off this photo"
    m = re.search(r"\bso\s+(?:that\s+)?(?P<x>(?:the|that|this|my|his|her|those|these)\s.+?)\s+(?:is|are)\s+(?:gone|removed|not "
                  r"(?:there|visible)|out of (?:the )?(?:picture|photo|shot|frame))\b", text, re.I)
    if m:
        text = f"remove {m.group('x')}"  # "edit this photo so the guy in the back is gone"
    m = re.match(r"^(?P<a>(?:the|my|this|that|his|her|these|those|our)\s[^,]+?)\s+(?P<v>[a-z]+(?:ed|en))$", text, re.I)
    if m and _participle_verb(m.group("v")) and m.group("v").lower() not in {"seen", "taken", "been", "given"} and \
            not re.search(r"\b(?:is|are|was|were|want|wants|need|needs|like|have|has|came out|turned out|looks?|"
                          r"seems?|got|became|comes out)\b", m.group("a"), re.I):  # "the photo came out blurred" is a complaint
        text = f"{_participle_verb(m.group('v'))} {m.group('a')}"  # "(I want) the background blurred"
    m = re.match(r"^cut\s+(?!out\b)(?P<x>.+?)\s+(?:from|off|out of)\s+(?:the|this|my)\s+(?:image|picture|photo|shot|scene|pic)\b",
                 text, re.I)
    if m:
        text = f"remove {m.group('x')}"  # "cut the tree from the picture"
    m = _EDIT_OUT.match(text)
    if m:
        text = f"remove {m.group('x')}{m.group('rest')}"
    m = _VANISH.match(text)
    if m:
        text = f"remove {m.group('x')}{m.group('rest')}"
    m = _CUTOUT.match(text)
    if m:
        text = f"cut out {m.group('x') or m.group('y')}"
    return text


# Where the user wants the feature, not a part of the picture: "... in the web editor", "... to the image editor".
_IN_THE_APP = re.compile(r"\s+(?:in|on|to|into|for|with|from|inside|within|of)\s+(?:the|this|your|my|our|a)\s+(?:[\w-]+\s+){0,2}?"
                         r"(?:editor|app|application|program|software|plugin|plug-in|extension|website|web\s?site|"
                         r"web\s?app|site|page|toolbar|menu|ui|interface|viewer|gallery|outputs?|exports?)\b"
                         r"(?!\s+(?:icons?|logos?|store|screenshots?|banners?|images?|pictures?|photos?|header|mascot|splash)\b).*$", re.I)
# What the photo is of, or which photos it is for, is no part of the edit: "make the window less bright on the photo of my
# friend and my dog", "fix white balance for initial dslr images".
_WHOSE_PHOTO = re.compile(r"\s+(?:(?:in|on)\s+(?:the|this|my|our)\s+(?:photo|picture|image|pic|shot)\s+of\s+(?:me|us|my|our|the|a)\b[^,.;!?]*|"
                          r"for\s+(?:(?:the|all|my|our|these|those|initial|raw|new|old|some|dslr|phone|camera)\s+){0,3}"
                          r"(?:images|photos|pictures|pics|shots|files)\b)(?=\s*[,.;!?]?\s*$)", re.I)
# The result the user gets back is the image itself: "the result is too dark", "the output image is blurry".
_THE_RESULT = re.compile(r"\b(?:the|my) (?:final |resulting |processed |generated )?(?:output|result)(?:\s+(?:image|photo|picture))?s?\b|"
                         r"\b(?:the|this) (?:open|active|current|selected) (?:document|layer|image|canvas|file|picture|photo)\b",
                         re.I)
# The file the image is in, and what to do with the result, say nothing about the edit: "my image 'photo.jpg'",
# "... and save it as 'out.png'", "... and export for web", "... as non-destructive adjustment layers".
_FILE_AND_SAVING = re.compile(r"\s*(?:['\"`]?(?:~?/)?[\w./~-]*\w\.(?:png|jpe?g|webp|gif|tiff?|bmp|heic|psd|xcf|kra)['\"`]?)(?=[\s,.;:!?)]|$)|"
                              r"(?:,\s*|\s+)(?:and\s+|then\s+)?(?:save|export|output|store|download)\w*\s+(?:it\s+|them\s+|the\s+"
                              r"(?:result|image|file|output)\s+)?(?:as|to|for|in|into)\b[^,;]*|"
                              r"\s+as\s+(?:(?:a|an)\s+)?(?:non-destructive\s+)?(?:adjustment\s+)?(?:layers?|smart\s+objects?)\b|"
                              r"\s+on\s+(?:the|a)\s+(?:active|current|selected|new)\s+layer\b", re.I)


# A remark before what it remarks on: "I've noticed the green channel is too strong", "I can see that the sky is grey".
_NOTICED = re.compile(r"^(?:i(?:'ve|\s+have)?\s+(?:just\s+|also\s+)?(?:noticed|realized|realised|seen)|i\s+(?:can\s+)?see)\s+"
                      r"(?:that\s+)?(?=(?:the|my|this|it|its|there|our)\b)", re.I)


_ASIDE = re.compile(r"\s*\((?:the\s+)?(?:opposite of|like [\w ]+ does|aka|see|similar to|as in|just like)\b[^()]*\)", re.I)


def as_request(sentence: str) -> tuple[str, bool]:
    if sentence[:2].lower() == "i " or sentence[:4].lower() == "i've":
        sentence = _NOTICED.sub("", sentence)
    if " or people" in sentence or "person(s)" in sentence:  # "the person or people in the photo": whoever is in it
        sentence = re.sub(r"\b(?:the\s+)?(?:person\s+or\s+people|person\(s\))(?:\s+in\s+the\s+(?:photo|picture|image))?",
                          "the people", sentence, flags=re.I)
    if "(" in sentence:  # "Expand Image (Opposite of Crop)", "the background (like Photoshop does)": an aside
        sentence = _ASIDE.sub("", sentence)
    if "here" in sentence:  # "the vegetation here", "make the water look better here, less green": this picture's
        sentence = re.sub(r"\s+(?:over\s+|in\s+)?here(?=\s*[,.!?;]|\s*$)", "", sentence, flags=re.I)
    sentence = _IN_THE_APP.sub("", sentence.rstrip(" ?!.")) + sentence[len(sentence.rstrip(" ?!.")):]
    sentence = _THE_RESULT.sub("the image", sentence)
    if "." in sentence or "save" in sentence or "export" in sentence or " as " in sentence or " layer" in sentence:
        sentence = _FILE_AND_SAVING.sub("", sentence)
    if "image" in sentence or "picture" in sentence or "photo" in sentence:
        sentence = _OWN_PICTURE.sub(r"\1 image", sentence)
    sentence = _WHOSE_PHOTO.sub("", sentence)
    if says_but_should(sentence):
        return sentence, True  # "it says OPEN but should say CLOSED" (not "close ...")
    versioned = _VERSION_CUES.search(sentence)
    version = version_request(strip_polite(sentence)) if versioned else None
    if version:  # "I'd like a 4:5 version, but with the watermark removed": before the wish is read as a removal
        return version, True
    text, asked = _as_request(sentence)
    rewritten = _rewrite(text)
    version = version_request(rewritten) if versioned else None
    if version:
        return version, True
    lead = re.match(r"[a-z]+", rewritten.lower())
    without = without_request(rewritten, lead is not None and lemma(lead.group(0)) in KNOWN_VERBS) \
        if "without" in rewritten or " no " in rewritten or "so " in rewritten or "minus" in rewritten else None
    if without:
        return without, True
    worn = accessory_request(rewritten) if " with " in rewritten or "wearing" in rewritten or "sporting" in rewritten or \
        "having" in rewritten or " has " in rewritten else None
    if worn:
        return worn, True
    return rewritten, asked or rewritten != text


# "this background image", "my wallpaper photo": the picture itself, named by what it is used for.
_OWN_PICTURE = re.compile(r"\b(this|my|our|your)\s+(?:background|wallpaper|desktop|lock\s?screen|cover|banner|header|hero|profile|"
                          r"avatar)\s+(?:image|picture|photo|pic)\b", re.I)
_VERSION_CUES = WordGate(("versi", "varia", "edition", "copy", "copies", "png", "file", "logo", "icon", "transparen",
                          "image with", "images with", "image in", "picture with", "picture in", "photo with", "photo in",
                          "pic with", "pic in"))
_CAN_BE = re.compile(r"^(?:can|could|would|will)\s+(?P<x>(?:the|my|this|his|her|their|our|its)\s+[\w' -]+?)\s+(?:be|look|become|"
                     r"be made|be turned)\s+(?:(?:a bit|a little|slightly|more)\s+)?(?P<y>[^?]+?)(?:\s+instead)?[\s?!.]*$", re.I)


_MORE_OF_A_THING = re.compile(r"^(?:more|extra)\s+(?P<n>[\w' -]+?)\s+(?:on top of|on|over|in|around|above|next to|beside)\s+"
                              r"(?:the|my|his|her|their|this)\s", re.I)


def _as_request(sentence: str) -> tuple[str, bool]:
    if '"' in sentence:  # a quoted editing verb: 'possible to "deblur"' (other quoted words are text in the picture)
        sentence = re.sub(r'"([a-z][a-z-]*)"', lambda m: m.group(1) if lemma(m.group(1)) in KNOWN_VERBS else m.group(0), sentence)
    can_be = _CAN_BE.match(sentence)
    if can_be and not re.match(r"[a-z]+(?:ed|en)\b", can_be.group("y"), re.I):
        # "can the background be a sunset?", "could the car look red?": a wish asked as a question (a passive such as
        # "can the bag be removed?" is read elsewhere)
        return f"make {can_be.group('x')} {can_be.group('y')}", True
    sentence = re.sub(r"[\s,]+if (?:such a thing|that|this|it) (?:exists|is possible|can be done|makes sense)\b.*$", "",
                      sentence, flags=re.I)
    """(the sentence as a plain imperative edit, whether a request frame was found).

    "Could someone please get rid of the car behind her?" -> ("get rid of the car behind her", True);
    "[Request] please take out the photobomber" -> ("take out the photobomber", True); "is it possible to fix the
    lighting" -> ("fix the lighting", True); "I'd love the sky more dramatic" -> ("make the sky more dramatic",
    True); "The plant is to be removed" -> ("remove the plant", True). A true question ("what is in this
    picture?") comes back unchanged and unflagged.
    """
    text = sentence.strip()
    asked = False
    text = re.sub(r"^(?:for example|for instance|e\.?g\.?|like)\s*,\s*", "", text, flags=re.I)  # "For example, let the dog ..."
    named = _NOMINAL_OF.match(text.strip(" .!")) if "of" in text else None
    if named:  # "request removal of the checkerboard background", "I'd like the restoration of this photo"
        return f"{_NOMINAL_VERBS[named.group('n').lower()]} {named.group('x')}", True
    text = _WANT_NOUN.sub("", text) if "want" in text or "need" in text or "like" in text else text  # "I want background removal"
    inverted_gerund = re.fullmatch(r"(?P<x>[A-Za-z][\w' -]{1,40}?)\s+(?P<g>removing|removal|deleting|erasing)", text.strip(" .!"), re.I)
    if inverted_gerund and not re.match(r"(?:background|bg)$", inverted_gerund.group("x"), re.I):
        return f"remove {inverted_gerund.group('x')}", True  # "Blemishes removing", "watermark removal"
    text = re.sub(r"^(?:edit|photo|image|picture|prompt|instruction|task|request)\s*:\s*(?=[a-z])", "", text, flags=re.I)  # "Edit: add ..."
    label = _LABEL.match(text)
    head = re.match(r"\s*([A-Za-z]+)", text)
    if label and head and lemma(head.group(1).lower()) not in KNOWN_VERBS and \
            (lemma(label.group("v").lower()) in KNOWN_VERBS or label.group("v").lower() in ("need", "please", "want")):
        text = text[label.end():]  # "Photos: make people wear mustaches", "Logo - remove the shadow": a title (not itself an
        # imperative: "Convert it into a film look: muted tones, ..." keeps its head)
    for _ in range(3):
        before = text
        text = _TAGS.sub("", text)
        text = _GREETING.sub("", text)
        if text != before:
            asked = True
    inverted = _INVERTED_PASSIVE.match(re.sub(r"^(?:please|pls|plz|so|and)\s+", "", text.rstrip(" ?!."), flags=re.I))
    if inverted and _participle_verb(inverted.group("v")):
        who = inverted.group("x") or inverted.group("y")
        passive = _passive(f"{who} must be {inverted.group('v')}{inverted.group('rest')}")
        if passive:
            return strip_polite(passive), True
    hope = re.match(r"^i\s+(?:hope|wish|want)\s+(?:that\s+)?(?P<x>(?:the|my|this|his|her|their|our)\s+[\w' -]+?)\s+(?:looks?|would look|"
                    r"will look|could look|can look)\s+(?P<y>(?:more\s+)?(?:like\s+)?.+?)[\s.!?]*$", text, re.I) if text[:2].lower() == "i " else None
    if hope:  # "I hope the cartoonized picture looks more like an oil painting"
        return f"make {hope.group('x')} look {hope.group('y')}", True
    what_if = _WHAT_IF.match(text.rstrip(" ?!.")) if text[:7].lower() in ("what if", "imagine") else None
    if what_if:  # "what if the dog had a hat?", "what if the car was red": shown so
        x, y = what_if.group("x"), what_if.group("y")
        x = {"he": "him", "she": "her", "they": "them", "we": "us", "i": "me"}.get(x.lower(), x)
        if what_if.group("v").lower() in ("had", "wore", "was wearing", "were wearing", "got"):
            return f"give {x} {y}", True
        if what_if.group("v").lower() in ("removed", "took out", "erased", "deleted"):
            return f"remove {y}", True
        return f"make {x} {y}", True
    was = re.match(r"^(?:i(?:'d| would)\s+|would\s+)?(?:really\s+|just\s+)?(?:love|like|prefer)\s+(?:it\s+)?if\s+(?P<x>(?:the|my|his|her|"
                   r"their|this|that|these|those|our)\s.+?)\s+(?:was|were|looked|could be)\s+(?P<y>.+?)[\s?!.]*$", text, re.I)
    if was:  # "would love it if the car was red"
        return f"make {was.group('x')} {was.group('y')}", True
    would = _HOW_WOULD.match(text.rstrip(" ?!."))
    if would:  # "how would this place look in winter?", "how would I look with sunglasses?": show it that way
        y, who = would.group("y"), would.group("w").lower()
        obj = {"i": "me", "i'd": "me", "we": "us", "we'd": "us", "he": "him", "she": "her", "they": "them"}.get(who) or \
            ("it" if re.fullmatch(r"this|it|that|(?:the|this)\s+(?:place|photo|picture|image|scene|pic|shot|room|view)", who)
             else who)
        if y.lower().startswith("with "):
            return (f"add {y[5:]}" if obj == "it" else f"add {y[5:]} on me" if obj == "me" else f"give {obj} {y[5:]}"), True
        return f"make {obj} {re.sub(r'^(?:in|as|like)[ ]+', '', y)}", True
    better = _BETTER_IF.match(text.rstrip(" ?!."))
    if better:  # "I just think it would be better if the app icon background was black"
        value = re.sub(r"\s+(?:the|it|this|they|which|but|because|as|since|imo|lol|so)\b.*$", "", better.group("y"))
        return f"make {better.group('x')} {value}", True
    nice = _NICE_TO_HAVE.match(text.rstrip(" ?!."))
    if nice:
        return f"add {nice.group('x')}", True
    for _ in range(4):  # frames inside frames: "can you suggest something to ...", "I wanted to ask if someone can ..."
        framed = _ASK_FRAMES.sub("", text, count=1)
        if framed == text or not framed.strip(" ?.!"):
            break
        text, asked = framed, True
    text = re.sub(r"^(transform\w*|convert\w*|turn\w*|chang\w*|switch\w*)\s+(to|into)\s+(?=(?:an?\s+)?[\w -]*\b(?:style|painting|drawing|sketch|"
                  r"cartoon|anime|watercolou?r)\b)", r"\1 it \2 ", text, flags=re.I)  # "transform to anime style": the image
    text = re.sub(r"^(transform\w*|convert\w*|turn\w*)\s+(to|into)\s+", r"\1 it \2 ", text, flags=re.I)  # "convert to a mural"
    bare = re.match(r"^(chang\w*|switch\w*)\s+(to|into)\s+(?P<y>.+)$", text, re.I)
    if bare and (env_value(bare.group("y").lower()) or STYLE_TERMS.search(bare.group("y").lower())):
        text = f"{bare.group(1)} it {bare.group(2)} {bare.group('y')}"  # "change to spring with cherry blossoms": the scene
    wish = _WISH.match(text.rstrip(" ?!."))
    if wish and _GONE.match(wish.group("x")) and not re.match(r"(?:you|u|someone|somebody|anyone)\s+to\b", wish.group("x"), re.I):
        return f"remove {_GONE.match(wish.group('x')).group('x')}", True  # type: ignore[union-attr]
    text = strip_polite(text).rstrip(" ?!.")
    text = re.sub(r"[\s,]*(?:thanks?(?: you)?(?: so much| in advance)?|thx|tia|cheers|pls|plz|please+e*|instead)[\s!.]*$", "",
                  text, flags=re.I).strip()
    more = _MORE_OF_A_THING.match(text)
    if more and not re.search(r"\b(?:colou?rs?|contrast|light|brightness|warmth|saturation|life|detail|space|room|depth)\b",
                              more.group("n"), re.I):
        return f"add {text}", True  # "(I want) more herbs on top of the chicken": more of a thing, placed
    if asked_for_background := re.match(r"^(?:an?|some)\s+(?:[\w,'-]+\s+){0,4}?(?:background|backdrop)$", text, re.I):
        return f"use {asked_for_background.group(0)}", True  # "(I want) a white background (instead)"
    only = re.match(r"^(?:keep|leave|give me|show|need|want|i need|i want|i only need|i only want|i just want|i just need)\s+"
                    r"(?:just|only)\s+(?P<x>(?:the|my|his|her|their|this|that)\s.+?)(?:\s+(?:and nothing else|without anything "
                    r"else|alone|by (?:it|them)sel(?:f|ves)|on (?:its|their) own|in the (?:image|photo|picture)))?$", text, re.I)
    only = only or re.match(r"^(?:(?:i\s+)?(?:just\s+|only\s+|really\s+)?(?:want|need|keep|give me|show)\s+)?(?:(?:just|only)\s+)?(?P<x>(?:the|my|his|her|their|this|that)\s.+?)\s+(?:and nothing else|without anything "
                            r"else|on (?:its|their) own)$", text, re.I)
    if only:  # "keep only the car", "I need just the logo without anything else": the rest goes, the thing is cut out
        return f"cut out {only.group('x')}", True
    said = re.match(r"^(?:new\s+)?(?:background|backdrop)\s*[:\-]\s*(?P<y>.+)$", text, re.I)
    if said:  # "Background: sunset beach"
        return f"change the background to {said.group('y')}", True
    better = re.match(r"^(?:the|this|it)\s+(?:\w+\s+)?(?:would|will)\s+(?:be|look)\s+(?:so\s+|much\s+|way\s+)?(?:better|nicer|"
                      r"cleaner)\s+without\s+(?P<x>.+)$", text, re.I)
    if better:  # "the scene would be better without the fence"
        return f"remove {better.group('x')}", True
    like = re.match(r"^make\s+it\s+(?:look\s+)?(?:like|as if|as though)\s+(?P<w>we|i|they|he|she)\s*(?:are|am|is|were|was|'re|'m|"
                    r"'s)\s+"
                    r"(?P<p>in|on|at)\s+(?P<y>.+)$", text, re.I)
    if like:  # "make it look like we are in space"
        who = {"we": "us", "i": "me", "they": "them", "he": "him", "she": "her"}[like.group("w").lower()]
        return f"put {who} {like.group('p')} {like.group('y')}", True
    no = _NO_MORE.match(text)
    if no:
        return f"remove {no.group('x')}", True
    no = _NO_X_APPEARS.match(text)
    if no:
        return f"remove {no.group('x')}", True
    free = _FREE_OF.match(text)
    if free and not re.search(r"\bto\s+(?:look|be|seem|appear|get|have)\b|^(?:it|this|that|them)\b",
                              free.group("x") or free.group("y"), re.I):
        return f"remove {free.group('x') or free.group('y')}", True
    has = _HAS_X.match(text)
    if has:
        return f"add {has.group('x')}", True
    wish = _WISH.match(text)
    if wish:
        x = wish.group("x")
        gone = _GONE.match(x)
        if gone:
            return f"remove {gone.group('x')}", True
        to_be = re.match(r"^(?P<a>.+?)\s+to\s+(?P<v>be|look|become|appear)\s+(?P<b>.+)$", x)
        if to_be and not re.match(r"(?:to|you|a|an|some|one|help)\b", x, re.I):
            look = "look " if to_be.group("v").lower() == "look" and re.match(r"like\b", to_be.group("b"), re.I) else ""
            return f"make {to_be.group('a')} {look}{to_be.group('b')}", True
        done = re.match(r"^(?P<a>.+?)\s+(?P<v>[a-z]+(?:ed|en))$", x)
        if done and _participle_verb(done.group("v")):
            return f"{_participle_verb(done.group('v'))} {done.group('a')}", True
        if re.match(r"(?:a|an|some)\s+(?:[\w,'-]+\s+){0,4}?(?:background|backdrop)$", x, re.I):
            return f"use {x}", True  # "I would like a neat, white background"
        thing = re.match(r"(?:a|an|some|two|three|a few|a couple of)\s+(?P<n>[\w' -]+?)\s+(?:over|on|in|above|behind|next to|"
                         r"beside|near|under|sitting|standing|flying|floating)\b", x, re.I)
        if thing and not re.search(r"\b(?:image|photo|picture|pic|shot|version|copy|edit|look|\w+er|more|less)\b",
                                   thing.group("n"), re.I):
            return f"add {x}", True  # "I'd love a rainbow over the lake": a new thing, placed
        were = re.match(r"^(?P<a>(?:it|this|everything|(?:the|my|his|her|this|these|those|our|their)\s.+?))\s+(?:were|was|looked|"
                        r"would be|could be)\s+(?P<b>.+)$", x, re.I)
        if were:  # "I wish the colours were more vibrant"
            return f"make {were.group('a')} {were.group('b')}", True
        if not re.match(r"(?:to|you|a|an|some|one|help)\b", x, re.I):
            return f"make {x}", True
    to_be = re.match(r"^(?P<a>(?:the|my|his|her|this|these|those|our|their|it)\b.*?)\s+to\s+(?P<v>be|look|become|appear)\s+"
                     r"(?P<b>.+)$", text, re.I)
    if to_be and not re.search(r"\b(?:needs?|has|have|is|are|was|were|ought|going|got|used|want|wants)$", to_be.group("a")):
        look = "look " if to_be.group("v").lower() == "look" and re.match(r"like\b", to_be.group("b"), re.I) else ""
        return f"make {to_be.group('a')} {look}{to_be.group('b')}", True  # "(I want) the lighting to be less bright"
    doing = re.match(r"^(?P<x>.+?)\s+(?:should|must|needs? to|has to|shall|ought to)\s+be\s+(?P<v>[a-z]+ing\b.*)$",
                     text, re.I) or re.match(r"^(?:have|let|make)\s+(?P<x>(?:the|his|her|their|my|this|that)\s+[\w-]+|him|her|them)\s+"
                                             r"be\s+(?P<v>[a-z]+ing\b.*)$", text, re.I)
    if doing and not re.search(r"\b(?:wearing|holding|carrying)\b", doing.group("v")):
        return f"make {doing.group('x')} {doing.group('v')}", True  # "he should be lying down": a pose
    passive = _passive(text)
    if passive:
        return passive, True
    pose = re.match(r"^(?:change|alter|modify|adjust|switch)\s+(?:the\s+)?(?:pose|posture|position|stance|action|activity|gesture)\s+"
                    r"of\s+(?P<x>.+?)\s+(?:to|into|so (?:it|he|she|they) (?:is|are))\s+(?P<y>[a-z]+ing\b.*)$", text, re.I) or \
        re.match(r"^(?:change|alter|modify|adjust|switch)\s+(?P<x>(?:the|his|her|their|my|this|that)\s+[\w-]+)'s?\s+(?:pose|posture|"
                 r"position|stance|action|gesture)\s+(?:to|into)\s+(?P<y>[a-z]+ing\b.*)$", text, re.I)
    if pose:  # "change the pose of the cat to lying down"
        who = pose.group("x") if re.match(r"(?:the|his|her|their|my|this|that|a|an)\s", pose.group("x"), re.I) else \
            f"the {pose.group('x')}"
        y = re.sub(r"^(lying|sitting|standing|kneeling|running|jumping|sleeping|dancing|walking|crouching|squatting)\b",
                   lambda m: _BASE_FORM.get(m.group(1), m.group(1)), pose.group("y"))
        return f"make {who} {y}", True
    made = re.match(r"^(?:change|make|turn|convert)\s+(?P<x>(?:the|his|her|their|my|this|that)\s.+?)\s+(?:to\s+be\s+|into\s+)?"
                    r"(?:made\s+(?:of|from|out of)|out of)\s+(?P<y>(?!(?:focus|frame|shot|view|place|sight|the\s|this\s)).+)$", text, re.I)
    if made:  # "change the outerwear to be made of calfskin": the same thing in another material
        return f"make {made.group('x')} {made.group('y')}", True
    saved = re.match(r"^(?:save|export|get|have|download|output)\s+(?:the\s+|each\s+|every\s+|this\s+|my\s+|all\s+(?:the\s+)?)?"
                     r"(?:[\w-]+\s+)?(?:images?|photos?|pictures?|pics?)\s+(?P<w>with|on|without)\s+(?P<y>(?:an?|the|its|their)\s+"
                     r"(?:[\w-]+\s+){0,2}?(?:background|backdrop))\b", text, re.I)
    if saved:  # "save each image with a white background", "get the product images without the white background"
        return (f"remove {saved.group('y')}" if saved.group("w").lower() == "without" else f"use {saved.group('y')}"), True
    have = re.match(r"^(?:have|let)\s+(?P<x>(?:the|my|his|her|their|this|that|these|those|our)\s.+?)\s+(?:be|become|look)\s+"
                    r"(?P<y>(?!like\b)(?![a-z]+(?:ed|en)\b).+)$", text, re.I)
    if have and re.match(r"look\b", text[have.end("x"):].strip(), re.I) and re.match(
            r"(?:straight|ahead|up|down|away|back|left|right|sideways|over|at|into|towards?|forward)\b", have.group("y"), re.I):
        return f"make {have.group('x')} look {have.group('y')}", True  # "have the man look at the camera": where he looks
    if have:  # "have the gas be neon": a wish for how it looks
        return f"make {have.group('x')} {have.group('y')}", True
    swap = re.match(r"^(?:(?:add\s+)?support\s+for\s+|(?:automatic|auto|ai|one-click)\s+)?(?P<x>[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?)\s+"
                    r"(?:replacement|swap)\s+(?:with|by|for)\s+(?P<y>.+)$", text, re.I)
    if swap:  # "sky replacement with a sunset"
        return f"replace the {swap.group('x')} with {swap.group('y')}", True
    nominal = _NOMINAL.match(text)
    if nominal and not _TONE_NOUN.search(nominal.group("x")) and (
            nominal.group("n").lower() not in ("enhancement", "correction", "reduction") or _DEFECT_OR_PHOTO.fullmatch(nominal.group("x"))):
        # "colour correction", "exposure enhancement" are read as looks; "sky enhancement" says no edit  # "old photo restoration", "support background removal": the edit said as a noun
        x = nominal.group("x")
        x = x if re.match(r"(?:the|my|this|all)\b", x) else f"the {x}"
        return f"{_NOMINAL_VERBS[nominal.group('n').lower()]} {x}", True
    return text, asked


_DEFECT_OR_PHOTO = re.compile(r"(?:(?:old|damaged|scanned|blurry|noisy)\s+)?(?:image|photo|picture|pic|portrait|scan|faces?|noise|"
                              r"grain|blur|motion blur|haze|fog|red[- ]eyes?|perspective|lens distortion|distortion|quality|"
                              r"low[- ]light|artifacts?|jpeg artifacts?)", re.I)
_TONE_NOUN = re.compile(r"\b(?:shadows?|highlights?|exposure|underexposure|overexposure|contrast|tones?|tonal|brightness|"
                        r"lighting|light|dark|colou?rs?|saturation|vibrance|hdr|gamma|balance|cast|tint|levels?|curves?)\b", re.I)
_BASE_FORM = {"lying": "lie", "sitting": "sit", "standing": "stand", "kneeling": "kneel", "running": "run", "jumping": "jump",
              "sleeping": "sleep", "dancing": "dance", "walking": "walk", "crouching": "crouch", "squatting": "squat"}
# The edit named by its noun: "face restoration", "noise reduction", "(add) support for background removal".
_NOMINAL_VERBS = {"removal": "remove", "restoration": "restore", "enhancement": "enhance", "reduction": "reduce",
                  "correction": "correct", "sharpening": "sharpen", "denoising": "denoise", "straightening": "straighten",
                  "recoloring": "recolor", "recolouring": "recolour", "colorization": "colorize",
                  "colourisation": "colorize", "colorisation": "colorize", "replacement": "replace", "blurring": "blur"}
# "(request the) removal of the logo": the edit said as a noun, its object after "of".
_NOMINAL_OF = re.compile(r"^(?:(?:(?:i|we)\s*)?(?:request|want|need|would like|'d like|ask for|require)\s+)?(?:(?:a|an|the)\s+)?"
                         r"(?:(?:complete|full|clean|quick|simple|automatic|total)\s+)?(?P<n>" + "|".join(_NOMINAL_VERBS) +
                         r")\s+of\s+(?P<x>(?!(?:it|this)\s*$).+)$", re.I)
# A wish for an edit said as a noun: "I want background removal", "we need noise reduction".
_WANT_NOUN = re.compile(r"^(?:i|we)\s*(?:(?:really|just|also)\s+)?(?:want|need|would like|'d like)\s+(?=(?:[a-z][\w'-]*\s+){1,4}(?:" +
                        "|".join(_NOMINAL_VERBS) + r")\s*[.!]?$)", re.I)
_NOMINAL = re.compile(r"^(?:(?:add\s+)?support\s+(?:for\s+)?|add\s+(?:an?\s+)?)?(?:(?:automatic|auto|ai|one-click|better)\s+)?"
                      r"(?P<x>(?!(?:and|or)\b)[a-z][\w'-]*(?:\s+(?!(?:and|or)\b)[a-z][\w'-]*){0,4}?)\s+(?P<n>" + "|".join(_NOMINAL_VERBS) + r")(?:\s+(?:feature|support|"
                      r"option|tool|mode|functionality|function|button|please))?$", re.I)
